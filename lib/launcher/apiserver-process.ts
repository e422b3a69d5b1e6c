import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkHealth } from '../grpc/health-check';
import type { GrpcClientTls } from '../grpc/tls';
import { LocalProcess } from './local-process';

/** How long one readiness probe may take. */
const PROBE_TIMEOUT_MS = 2_000;
/** How long an apiserver may take to load its caches and serve. */
export const APISERVER_START_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 200;

/** Where a local apiserver serves the Kubernetes HTTP API, and with which CA and tokens. */
export interface LocalHttps {
  readonly port: number;
  readonly certDir: string;
  readonly tokenFile: string;
}

/**
 * One `bosun apiserver` process of a local cluster. With `https` its gRPC door is TLS with the
 * cert dir's serving certificate (clients: {@link grpcTls}); without, it runs `--insecure`
 * (plain-text gRPC, no HTTPS door: tests and benchmarks of the gRPC API alone).
 */
export class LocalApiServer extends LocalProcess {
  constructor(
    name: string,
    readonly grpcPort: number,
    logFile: string,
    storeEndpoints: readonly string[],
    readonly https?: LocalHttps,
    env: NodeJS.ProcessEnv = process.env,
    extraArgs: readonly string[] = [],
  ) {
    const httpsArgs = https
      ? ['--https-listen', `127.0.0.1:${https.port}`, '--cert-dir', https.certDir, '--token-file', https.tokenFile]
      : ['--https-listen', '', '--insecure'];
    super(name, logFile, ['apiserver', '--store-endpoints', storeEndpoints.join(','), '--grpc-listen', `127.0.0.1:${grpcPort}`, ...httpsArgs, ...extraArgs], env);
  }

  /** https://127.0.0.1:PORT of the Kubernetes HTTP API, when served. */
  get httpsUrl(): string | undefined {
    return this.https ? `https://127.0.0.1:${this.https.port}` : undefined;
  }

  get grpcEndpoint(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  /** TLS towards the gRPC door (the cluster CA of the cert dir), undefined when it is plain text. */
  get grpcTls(): GrpcClientTls | undefined {
    return this.https ? { caCert: fs.readFileSync(path.join(this.https.certDir, 'ca.crt'), 'utf8') } : undefined;
  }

  /**
   * Resolves once the gRPC door answers a health check (it listens only once its caches are
   * loaded); rejects (with the log's tail) if the process exits or the time runs out.
   */
  async waitReady(timeoutMs = APISERVER_START_TIMEOUT_MS): Promise<void> {
    await this.pollUntilReady(() => checkHealth(this.grpcEndpoint, this.grpcTls, PROBE_TIMEOUT_MS), this.grpcEndpoint, timeoutMs, POLL_INTERVAL_MS);
  }
}
