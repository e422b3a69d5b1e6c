import * as http from 'node:http';
import { sampleValue } from '../metrics';
import { componentClientFlags, type ComponentClientArgs } from './component-args';
import { LocalProcess } from './local-process';

/** How long a controller-manager may take to serve /healthz. */
export const CONTROLLER_MANAGER_START_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 200;
const SCRAPE_TIMEOUT_MS = 2_000;

/** The lease name in `leader_election_master_status{name=…}`. */
const LEASE_NAME = 'kube-controller-manager';

/**
 * One `bosun controller-manager` replica of a local cluster: it dials `client.apiservers` (else
 * its kubeconfig's) as the identity of `client.kubeconfig` and serves /metrics and /healthz on
 * `client.metricsPort`, which tells whether it is up and whether it leads.
 */
export class LocalControllerManager extends LocalProcess {
  constructor(
    name: string,
    logFile: string,
    readonly client: ComponentClientArgs & { readonly metricsPort: number },
    extraArgs: readonly string[] = [],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    super(name, logFile, ['controller-manager', ...componentClientFlags(client), '--identity', name, ...extraArgs], env);
  }

  /** GET `path` on the metrics port: the body of a 200, else a rejection. */
  private get(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: this.client.metricsPort, path, timeout: SCRAPE_TIMEOUT_MS }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
      });
      req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
      req.on('error', reject);
    });
  }

  /** The replica's /metrics, in the text exposition format. */
  metrics(): Promise<string> {
    return this.get('/metrics');
  }

  /** Whether this replica holds the controller-manager lease (its leader gauge). */
  async isLeader(): Promise<boolean> {
    const text = await this.metrics();
    return sampleValue(text, `leader_election_master_status{name="${LEASE_NAME}"}`) === 1;
  }

  /** Resolves once /healthz answers; rejects (with the log's tail) if the process exits or the time runs out. */
  waitReady(timeoutMs = CONTROLLER_MANAGER_START_TIMEOUT_MS): Promise<void> {
    return this.pollUntilReady(() => this.get('/healthz'), `127.0.0.1:${this.client.metricsPort}/healthz`, timeoutMs, POLL_INTERVAL_MS);
  }
}
