import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../store/server/member-config';
import { COMPONENT_KUBECONFIG_DIR, writeComponentKubeconfigs } from './component-identities';
import { parseEndpoints } from './component-flags';

/**
 * `bosun kubeconfigs`: what `bosun up` does for its components, for clusters started another
 * way (compose): the apiservers' token file with one token per component identity (kept when
 * present), and one kubeconfig per component naming the apiservers and that token.
 */
export function kubeconfigsCommand(): Command {
  return new Command('kubeconfigs')
    .description('write the token file and one kubeconfig per component (kube-scheduler, kube-controller-manager) into a directory')
    .addOption(new Option('--dir <path>', `directory: tokens.csv and ${COMPONENT_KUBECONFIG_DIR}/<component>.kubeconfig`).makeOptionMandatory())
    .addOption(new Option('--apiserver <value>', 'apiserver gRPC endpoints the components dial, host:port,…').makeOptionMandatory())
    .addOption(new Option('--server <url>', 'https:// URL of the Kubernetes HTTP API, when served'))
    .addOption(new Option('--ca-file <file>', 'PEM of the CA that signed the HTTP API certificate'))
    .action((o: { dir: string; apiserver: string; server?: string; caFile?: string }) => {
      const dir = path.resolve(o.dir);
      let caCert: string | undefined;
      if (o.caFile) {
        try {
          caCert = fs.readFileSync(o.caFile, 'utf8');
        } catch (err) {
          throw new ConfigError(`--ca-file: cannot read "${o.caFile}": ${(err as Error).message}`);
        }
      }
      const files = writeComponentKubeconfigs({ dir, tokenFile: path.join(dir, 'tokens.csv'), grpcEndpoints: parseEndpoints('apiserver', o.apiserver), server: o.server, caCert });
      for (const [component, file] of files) process.stdout.write(`${component}: ${file}\n`);
    });
}
