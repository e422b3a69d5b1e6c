import { IngressStatusClient, type IngressStatusResponse } from '../../gen/bosun/ingress';
import type { GrpcClientTls } from '../grpc/tls';
import { statusTlsOf, componentClientFlags, metricsUrlOf, type ComponentClientArgs, statusServingFlags } from './component-args';
import { LocalProcess } from './local-process';
import { callStatus } from './status-call';

/** How long an ingress controller may take to serve its status API. */
export const INGRESS_START_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 200;

/** Where a local ingress listens. */
export interface IngressPorts {
  /** Plain HTTP on `host`. */
  readonly http: number;
  /** HTTPS (HTTP/2 and HTTP/1.1) on `host`. */
  readonly https: number;
  /** The gRPC status API on 127.0.0.1. */
  readonly grpc: number;
}

/**
 * One `bosun ingress` of a local cluster: HTTP and HTTPS on `host` (127.0.0.1 by default), the
 * status API on 127.0.0.1, `host` published into the Ingresses' status. It dials `apiservers`
 * (when given; else its kubeconfig's) as the identity of `client.kubeconfig`.
 */
export class LocalIngress extends LocalProcess {
  readonly metricsUrl: string | undefined;

  /** TLS towards its status API (undefined: plain text, the component runs `--insecure`). */
  readonly statusTls: GrpcClientTls | undefined;

  constructor(
    name: string,
    readonly ports: IngressPorts,
    logFile: string,
    apiservers: readonly string[],
    readonly host = '127.0.0.1',
    extraArgs: readonly string[] = [],
    env: NodeJS.ProcessEnv = process.env,
    client: Omit<ComponentClientArgs, 'apiservers'> = {},
  ) {
    const flags = [...componentClientFlags({ ...client, apiservers }), ...statusServingFlags(client.servingTls)];
    super(
      name,
      logFile,
      [
        'ingress', ...flags,
        '--http-listen', `${host}:${ports.http}`,
        '--https-listen', `${host}:${ports.https}`,
        '--grpc-listen', `127.0.0.1:${ports.grpc}`,
        '--publish-address', host,
        ...extraArgs,
      ],
      env,
    );
    this.metricsUrl = metricsUrlOf(client);
    this.statusTls = statusTlsOf(client.servingTls);
  }

  get grpcEndpoint(): string {
    return `127.0.0.1:${this.ports.grpc}`;
  }

  /** The controller's routes, TLS hosts and problems. */
  status(): Promise<IngressStatusResponse> {
    return callStatus<IngressStatusResponse>(IngressStatusClient, this.grpcEndpoint, {}, this.statusTls);
  }

  /** Resolves once the status API answers; rejects (with the log's tail) if the process exits or the time runs out. */
  waitReady(timeoutMs = INGRESS_START_TIMEOUT_MS): Promise<void> {
    return this.pollUntilReady(() => this.status(), this.grpcEndpoint, timeoutMs, POLL_INTERVAL_MS);
  }
}
