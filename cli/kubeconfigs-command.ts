import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureApiserverKubeletClientCert } from '../lib/pki/component-certs';
import { componentServingTls } from '../lib/launcher/component-args';
import { ensureStoreClientPki, ensureStoreMemberFiles, storePkiDir } from '../lib/pki/store-pki';
import { ensureClusterTls } from '../services/apiserver/http/cluster-tls';
import { ENCRYPTION_CONFIG_FILE, ensureEncryptionConfig } from '../services/apiserver/encryption/encryption-config';
import { ensureServiceAccountKey, SERVICE_ACCOUNT_KEY_FILE } from '../services/apiserver/serviceaccount/token-keys';
import { ensureTokenFile, writeHttpKubeconfig } from '../services/apiserver/http/bearer-auth';
import { ConfigError } from '../lib/config-error';
import { COMPONENT_KUBECONFIG_DIR, writeComponentKubeconfigs } from './component-identities';
import { parseEndpoints } from './component-flags';

/** Options of `bosun kubeconfigs`. */
interface KubeconfigsOptions {
  dir: string;
  apiserver: string;
  server?: string;
  caFile?: string;
  certDir?: string;
  adminKubeconfig?: string;
  adminServer: string;
  adminGrpc?: string;
  owner?: string;
  nodes?: string;
  servingCerts?: string;
  storeMembers?: string;
  storeClientDir?: string;
}

/**
 * `bosun kubeconfigs`: what `bosun up` does for its components, for clusters started another
 * way (compose): the apiservers' token file with one token per component identity (kept when
 * present), and one kubeconfig per component naming the apiservers and that token. With
 * `--cert-dir`, also the cluster CA, the apiservers' serving certificate and their client
 * certificate towards node agents (so apiservers sharing that directory find them made), and
 * with `--serving-certs` the serving certificates of components' gRPC status APIs, with
 * `--store-members` the store's own CA and certificates (its members' and the apiservers' client
 * certificate, in `<cert-dir>/store`, as `bosun up` makes them); with `--admin-kubeconfig`, an
 * admin kubeconfig for kubectl on the host, and with `--store-client-dir` a copy of the store
 * client's files for etcdctl on the host.
 */
export function kubeconfigsCommand(): Command {
  return new Command('kubeconfigs')
    .description('write the token file and one kubeconfig per component (kube-scheduler, kube-controller-manager) into a directory')
    .addOption(new Option('--dir <path>', `directory: tokens.csv and ${COMPONENT_KUBECONFIG_DIR}/<component>.kubeconfig`).makeOptionMandatory())
    .addOption(new Option('--apiserver <value>', 'apiserver gRPC endpoints the components dial, host:port,…').makeOptionMandatory())
    .addOption(new Option('--server <url>', 'https:// URL of the Kubernetes HTTP API, when served'))
    .addOption(new Option('--ca-file <file>', 'PEM of the CA that signed the HTTP API certificate'))
    .addOption(new Option('--cert-dir <path>', 'make (or keep) the cluster CA and the apiservers\' certificates here; its CA goes into the kubeconfigs'))
    .addOption(new Option('--admin-kubeconfig <file>', 'also write an admin kubeconfig (the token file\'s admin token) here, for kubectl'))
    .addOption(new Option('--admin-server <url>', 'the server the admin kubeconfig names').default('https://127.0.0.1:6443'))
    .addOption(new Option('--admin-grpc <value>', 'gRPC endpoints the admin kubeconfig names for the bosun CLI, host:port,… (default: --apiserver)'))
    .addOption(new Option('--nodes <names>', 'node names, comma-separated: each node agent gets its own identity (system:node:<name>) and kubeconfigs/kubelet-<name>.kubeconfig'))
    .addOption(new Option('--serving-certs <names>', 'with --cert-dir: issue <cert-dir>/serving-<name>.crt/.key for these components\' status APIs (--tls-cert-file), naming 127.0.0.1, localhost and <name>; comma-separated'))
    .addOption(new Option('--store-members <names>', 'with --cert-dir: the store\'s own CA in <cert-dir>/store, a certificate per member (naming the member, its host) and the apiservers\' client certificate towards the store; comma-separated'))
    .addOption(new Option('--store-client-dir <path>', 'with --store-members: copy the store\'s ca.crt and the client certificate and key here (etcdctl\'s --cacert, --cert, --key on the host)'))
    .addOption(new Option('--owner <uid:gid>', 'owner of the admin kubeconfig and the store client files (a host user reading a bind-mounted file)'))
    .action((o: KubeconfigsOptions) => {
      const dir = path.resolve(o.dir);
      const grpcEndpoints = parseEndpoints('apiserver', o.apiserver);
      const owner = o.owner === undefined ? undefined : parseOwner(o.owner);
      let caCert: string | undefined;
      if (o.certDir) {
        const certDir = path.resolve(o.certDir);
        // The apiservers' gRPC door serves this certificate too: it names the hosts components dial.
        caCert = ensureClusterTls(certDir, grpcEndpoints.map((e) => e.slice(0, e.lastIndexOf(':')).replace(/^\[|\]$/g, ''))).caCert;
        ensureApiserverKubeletClientCert(certDir);
        // What every apiserver must share: the key that signs (and verifies) ServiceAccount
        // tokens, so each accepts the others' tokens, and the keys Secrets are encrypted with.
        ensureServiceAccountKey(path.join(certDir, SERVICE_ACCOUNT_KEY_FILE));
        ensureEncryptionConfig(path.join(certDir, ENCRYPTION_CONFIG_FILE));
        // Status APIs are TLS unless --insecure: each component's certificate names its host (compose: its service name).
        for (const name of o.servingCerts === undefined ? [] : parseNames('serving-certs', o.servingCerts)) process.stdout.write(`serving ${name}: ${componentServingTls(certDir, name).certFile}\n`);
        process.stdout.write(`cluster CA: ${path.join(certDir, 'ca.crt')}\n`);
        if (o.storeMembers !== undefined) writeStorePki(certDir, parseNames('store-members', o.storeMembers), o.storeClientDir, owner);
        else if (o.storeClientDir !== undefined) throw new ConfigError('--store-client-dir: needs --store-members (the files come from the store\'s CA)');
      } else if (o.servingCerts !== undefined || o.storeMembers !== undefined || o.storeClientDir !== undefined) {
        const flag = o.servingCerts !== undefined ? 'serving-certs' : o.storeMembers !== undefined ? 'store-members' : 'store-client-dir';
        throw new ConfigError(`--${flag}: needs --cert-dir (the certificates come from the cluster's pki directory)`);
      } else if (o.caFile) {
        try {
          caCert = fs.readFileSync(o.caFile, 'utf8');
        } catch (err) {
          throw new ConfigError(`--ca-file: cannot read "${o.caFile}": ${(err as Error).message}`);
        }
      }
      const tokenFile = path.join(dir, 'tokens.csv');
      const nodeNames = o.nodes === undefined ? [] : parseNames('nodes', o.nodes);
      const files = writeComponentKubeconfigs({ dir, tokenFile, grpcEndpoints, server: o.server, caCert, nodeNames, certDir: o.certDir ? path.resolve(o.certDir) : undefined });
      for (const [component, file] of files) process.stdout.write(`${component}: ${file}\n`);
      if (o.adminKubeconfig) {
        if (!caCert) throw new ConfigError('--admin-kubeconfig: needs --cert-dir or --ca-file (kubectl checks the server against the CA)');
        if (!/^https:\/\/[^/\s]+$/.test(o.adminServer)) throw new ConfigError(`--admin-server: "${o.adminServer}" is not an https://host:port URL`);
        const file = path.resolve(o.adminKubeconfig);
        writeHttpKubeconfig(file, {
          clusterName: 'bosun-compose',
          server: o.adminServer,
          caCert,
          token: ensureTokenFile(tokenFile),
          grpcEndpoints: o.adminGrpc ? parseEndpoints('admin-grpc', o.adminGrpc) : grpcEndpoints,
          namespace: 'default',
        });
        if (owner) fs.chownSync(file, owner.uid, owner.gid);
        process.stdout.write(`admin: ${file}\n`);
      }
    });
}

/**
 * The store's own PKI in `<certDir>/store` for members `members` (each certificate names the
 * member, which is its host under compose), and with `clientDir` a copy of the store client's
 * files there (owned by `owner`), for etcdctl on the host.
 */
function writeStorePki(certDir: string, members: readonly string[], clientDir: string | undefined, owner: { uid: number; gid: number } | undefined): void {
  const storeDir = storePkiDir(certDir);
  const client = ensureStoreClientPki(storeDir).files;
  for (const name of members) process.stdout.write(`store ${name}: ${ensureStoreMemberFiles(storeDir, name, []).cert}\n`);
  process.stdout.write(`store client: ${client.cert}\n`);
  if (clientDir === undefined) return;
  const dir = path.resolve(clientDir);
  fs.mkdirSync(dir, { recursive: true });
  for (const file of [client.ca, client.cert, client.key]) {
    const copy = path.join(dir, path.basename(file));
    fs.copyFileSync(file, copy);
    if (owner) fs.chownSync(copy, owner.uid, owner.gid);
  }
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  process.stdout.write(`store client files: ${dir}\n`);
}

/** "uid:gid" (numbers) → ids; a clear error naming --owner otherwise. */
function parseOwner(value: string): { uid: number; gid: number } {
  const m = /^(\d+):(\d+)$/.exec(value);
  if (!m) throw new ConfigError(`--owner: "${value}" is not uid:gid (numbers, e.g. 1000:1000)`);
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

/** `--nodes` or `--serving-certs`: DNS-1123 subdomain names (Kubernetes' rule for Node names), comma-separated, each once. */
function parseNames(flag: string, text: string): string[] {
  const names = text.split(',').map((n) => n.trim());
  for (const n of names) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(n) || n.length > 253) throw new ConfigError(`--${flag}: "${n}" is not a valid name (lowercase letters, digits, '-' and '.')`);
  }
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ConfigError(`--${flag}: "${twice}" is given twice`);
  return names;
}
