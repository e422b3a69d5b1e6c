import * as grpc from '@grpc/grpc-js';
import { grpcChannelCredentials, type GrpcClientTls } from '../grpc/tls';
import { SchedulerStatusClient, type SchedulerStatusResponse } from '../../gen/bosun/scheduler';
import { componentClientFlags, metricsUrlOf, statusTlsOf, type ComponentClientArgs, statusServingFlags } from './component-args';
import { LocalProcess } from './local-process';

/** How long a scheduler may take to serve its status API. */
export const SCHEDULER_START_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 200;
const CALL_TIMEOUT_MS = 2_000;

/**
 * One `bosun scheduler` replica of a local cluster, serving its status API on `grpcPort`. It
 * dials `apiservers` (when given; else its kubeconfig's) as the identity of `client.kubeconfig`
 * (anonymous without one) and serves /metrics on `client.metricsPort` (any free port when unset).
 */
export class LocalScheduler extends LocalProcess {
  /** `http://127.0.0.1:PORT/metrics`, when started with a fixed metrics port. */
  readonly metricsUrl: string | undefined;

  /** TLS towards its status API (undefined: plain text, the component runs `--insecure`). */
  readonly statusTls: GrpcClientTls | undefined;

  constructor(
    name: string,
    readonly grpcPort: number,
    logFile: string,
    apiservers: readonly string[],
    extraArgs: readonly string[] = [],
    env: NodeJS.ProcessEnv = process.env,
    client: Omit<ComponentClientArgs, 'apiservers'> = {},
  ) {
    const flags = [...componentClientFlags({ ...client, apiservers }), ...statusServingFlags(client.servingTls)];
    super(name, logFile, ['scheduler', ...flags, '--grpc-listen', `127.0.0.1:${grpcPort}`, '--identity', name, ...extraArgs], env);
    this.metricsUrl = metricsUrlOf(client);
    this.statusTls = statusTlsOf(client.servingTls);
  }

  get grpcEndpoint(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  /** The replica's status (leader, queue lengths, recent decisions). */
  status(): Promise<SchedulerStatusResponse> {
    const client = new SchedulerStatusClient(this.grpcEndpoint, grpcChannelCredentials(this.statusTls));
    return new Promise<SchedulerStatusResponse>((resolve, reject) =>
      client.status({}, new grpc.Metadata(), { deadline: new Date(Date.now() + CALL_TIMEOUT_MS) }, (err, res) => (err ? reject(err) : resolve(res))),
    ).finally(() => client.close());
  }

  /** Resolves once the status API answers; rejects (with the log's tail) if the process exits or the time runs out. */
  waitReady(timeoutMs = SCHEDULER_START_TIMEOUT_MS): Promise<void> {
    return this.pollUntilReady(() => this.status(), this.grpcEndpoint, timeoutMs, POLL_INTERVAL_MS);
  }
}
