import { GrpcApiClient } from '../client/grpc-api-client';
import { LocalProcess } from './local-process';

/** How long an apiserver may take to load its caches and serve. */
export const APISERVER_START_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 200;

/** Where a local apiserver serves the Kubernetes HTTP API, and with which CA and tokens. */
export interface LocalHttps {
  readonly port: number;
  readonly certDir: string;
  readonly tokenFile: string;
}

/** One `bosun apiserver` process of a local cluster. */
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
      : ['--https-listen', ''];
    super(name, logFile, ['apiserver', '--store-endpoints', storeEndpoints.join(','), '--grpc-listen', `127.0.0.1:${grpcPort}`, ...httpsArgs, ...extraArgs], env);
  }

  /** https://127.0.0.1:PORT of the Kubernetes HTTP API, when served. */
  get httpsUrl(): string | undefined {
    return this.https ? `https://127.0.0.1:${this.https.port}` : undefined;
  }

  get grpcEndpoint(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  /** Resolves once the gRPC API answers discovery; rejects (with the log's tail) if the process exits or the time runs out. */
  async waitReady(timeoutMs = APISERVER_START_TIMEOUT_MS): Promise<void> {
    const client = new GrpcApiClient({ endpoints: [this.grpcEndpoint], callTimeoutMs: 2_000 });
    try {
      await this.pollUntilReady(() => client.discover(), this.grpcEndpoint, timeoutMs, POLL_INTERVAL_MS);
    } finally {
      client.close();
    }
  }
}
