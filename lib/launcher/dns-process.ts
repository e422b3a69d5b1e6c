import * as grpc from '@grpc/grpc-js';
import { grpcChannelCredentials, type GrpcClientTls } from '../grpc/tls';
import { DnsStatusClient, type DnsStatusResponse } from '../../gen/bosun/dns';
import { componentClientFlags, metricsUrlOf, statusTlsOf, type ComponentClientArgs, statusServingFlags } from './component-args';
import { LocalProcess } from './local-process';

/** How long the DNS may take to serve its status API with synced caches. */
export const DNS_START_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 200;
const CALL_TIMEOUT_MS = 2_000;

/** Ports of one `bosun dns`. */
export interface LocalDnsPorts {
  /** UDP and TCP port answered on (127.0.0.1). */
  readonly dns: number;
  /** gRPC status API port. */
  readonly grpc: number;
}

/**
 * The `bosun dns` of a local cluster: answers on `host`:`ports.dns` (UDP and TCP), serves its
 * status API on 127.0.0.1:`ports.grpc`, dials the API as the identity of `client.kubeconfig` and
 * registers the kube-dns Service with `host` as its endpoint (every node of a local cluster
 * shares the host's network). `bosun up` gives the host's own address, which pods reach through
 * their bridge whichever proxy data path runs; tests may keep the default 127.0.0.1.
 */
export class LocalDns extends LocalProcess {
  /** `http://127.0.0.1:PORT/metrics`, when started with a fixed metrics port. */
  readonly metricsUrl: string | undefined;

  /** TLS towards its status API (undefined: plain text, the component runs `--insecure`). */
  readonly statusTls: GrpcClientTls | undefined;

  constructor(
    name: string,
    readonly ports: LocalDnsPorts,
    logFile: string,
    client: ComponentClientArgs = {},
    extraArgs: readonly string[] = [],
    env: NodeJS.ProcessEnv = process.env,
    readonly host = '127.0.0.1',
  ) {
    super(name, logFile, ['dns', ...componentClientFlags(client), ...statusServingFlags(client.servingTls), '--listen', `${host}:${ports.dns}`, '--grpc-listen', `127.0.0.1:${ports.grpc}`, ...extraArgs], env);
    this.metricsUrl = metricsUrlOf(client);
    this.statusTls = statusTlsOf(client.servingTls);
  }

  /** host:port of the DNS (UDP and TCP). */
  get dnsEndpoint(): string {
    return `${this.host}:${this.ports.dns}`;
  }

  get grpcEndpoint(): string {
    return `127.0.0.1:${this.ports.grpc}`;
  }

  /** The DNS's status (listen address, cache sync, answers by rcode). */
  status(): Promise<DnsStatusResponse> {
    const client = new DnsStatusClient(this.grpcEndpoint, grpcChannelCredentials(this.statusTls));
    return new Promise<DnsStatusResponse>((resolve, reject) =>
      client.status({}, new grpc.Metadata(), { deadline: new Date(Date.now() + CALL_TIMEOUT_MS) }, (err, res) => (err ? reject(err) : resolve(res))),
    ).finally(() => client.close());
  }

  /** Resolves once the status API answers with synced caches; rejects (with the log's tail) on exit or timeout. */
  waitReady(timeoutMs = DNS_START_TIMEOUT_MS): Promise<void> {
    return this.pollUntilReady(
      async () => {
        if (!(await this.status()).synced) throw new Error('caches not synced');
      },
      this.grpcEndpoint,
      timeoutMs,
      POLL_INTERVAL_MS,
    );
  }
}
