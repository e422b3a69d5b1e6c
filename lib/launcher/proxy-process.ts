import * as grpc from '@grpc/grpc-js';
import { grpcChannelCredentials, type GrpcClientTls } from '../grpc/tls';
import { execFile } from 'node:child_process';
import { type GetStatusResponse, ProxyStatusClient } from '../../gen/bosun/proxy';
import { componentClientFlags, metricsUrlOf, statusTlsOf, type ComponentClientArgs, statusServingFlags } from './component-args';
import { BOSUN_BIN, LocalProcess } from './local-process';

/** The ports of `bosun up`'s proxy: status API, /metrics (kube-proxy's 10249) and /healthz (kube-proxy's 10256). */
export const LOCAL_PROXY_PORTS = { grpc: 10247, metrics: 10249, healthz: 10256 } as const;

/** Whether a local cluster whose nodes use `runtime` gets a proxy: pods with their own network (process, docker) and root for the node setup. */
export function localClusterRunsProxy(runtime: string, nodeCount: number): boolean {
  return nodeCount > 0 && (runtime === 'process' || runtime === 'docker') && process.getuid?.() === 0;
}

/** How long a proxy may take to serve its status API (it serves it before its first sync). */
export const PROXY_START_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 200;
const CALL_TIMEOUT_MS = 5_000;

/** What a launched proxy runs. */
export interface LocalProxyOptions {
  /** The nodes whose pods share this host's network namespace (`--node-names`). */
  readonly nodeNames: readonly string[];
  /** userspace or nftables (default: the proxy's own choice). */
  readonly mode?: string;
  /** Port of /healthz on 127.0.0.1 (default: any free port). */
  readonly healthzPort?: number;
  readonly extraArgs?: readonly string[];
}

/**
 * One `bosun proxy` process of a local cluster, serving its status API on `grpcPort`: it dials
 * `apiservers` as the identity of `client.kubeconfig` and serves /metrics on `client.metricsPort`
 * (any free port when unset). One proxy serves every node of the host (their pods share its
 * network namespace).
 */
export class LocalProxy extends LocalProcess {
  readonly metricsUrl: string | undefined;

  /** TLS towards its status API (undefined: plain text, the component runs `--insecure`). */
  readonly statusTls: GrpcClientTls | undefined;

  constructor(
    readonly options: LocalProxyOptions,
    readonly grpcPort: number,
    logFile: string,
    apiservers: readonly string[],
    client: Omit<ComponentClientArgs, 'apiservers'> = {},
    env: NodeJS.ProcessEnv = process.env,
  ) {
    super(
      'proxy',
      logFile,
      [
        'proxy',
        ...componentClientFlags({ ...client, apiservers }),
        ...statusServingFlags(client.servingTls),
        '--grpc-listen',
        `127.0.0.1:${grpcPort}`,
        '--healthz-bind-address',
        `127.0.0.1:${options.healthzPort ?? 0}`,
        '--node-names',
        options.nodeNames.join(','),
        ...(options.mode ? ['--mode', options.mode] : []),
        ...(options.extraArgs ?? []),
      ],
      env,
    );
    this.metricsUrl = metricsUrlOf(client);
    this.statusTls = statusTlsOf(client.servingTls);
  }

  get grpcEndpoint(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  /** The proxy's status: mode, nodes, sync figures and the routing table. */
  status(): Promise<GetStatusResponse> {
    const client = new ProxyStatusClient(this.grpcEndpoint, grpcChannelCredentials(this.statusTls));
    return new Promise<GetStatusResponse>((resolve, reject) =>
      client.getStatus({}, new grpc.Metadata(), { deadline: new Date(Date.now() + CALL_TIMEOUT_MS) }, (err, res) => (err ? reject(err) : resolve(res))),
    ).finally(() => client.close());
  }

  /**
   * Runs `bosun proxy --cleanup` with this proxy's flags: removes what its data paths installed
   * on the host (the local service-range route, the nft table). Call it after the proxy stopped.
   */
  cleanup(): Promise<void> {
    const args = [BOSUN_BIN, 'proxy', '--cleanup', '--node-names', this.options.nodeNames.join(','), ...(this.options.extraArgs ?? [])];
    return new Promise((resolve, reject) => execFile(process.execPath, args, (err, _out, stderr) => (err ? reject(new Error(`bosun proxy --cleanup failed: ${stderr || err.message}`)) : resolve())));
  }

  /** Resolves once the status API answers; rejects (with the log's tail) if the process exits or the time runs out. */
  waitReady(timeoutMs = PROXY_START_TIMEOUT_MS): Promise<void> {
    return this.pollUntilReady(() => this.status(), this.grpcEndpoint, timeoutMs, POLL_INTERVAL_MS);
  }
}
