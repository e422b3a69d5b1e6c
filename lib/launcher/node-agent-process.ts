import * as grpc from '@grpc/grpc-js';
import { grpcChannelCredentials, type GrpcClientTls } from '../grpc/tls';
import { NodeAgentStatusClient, type NodeAgentStatusResponse } from '../../gen/bosun/node_agent';
import { componentClientFlags, metricsUrlOf, statusTlsOf, type ComponentClientArgs, statusServingFlags } from './component-args';
import { LocalProcess } from './local-process';

/** How long a node agent may take to serve its status API. */
export const NODE_AGENT_START_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 200;
const CALL_TIMEOUT_MS = 5_000;

/** What a launched node agent runs. */
export interface LocalNodeAgentOptions {
  readonly nodeName: string;
  /** process, docker or fake. */
  readonly runtime: string;
  readonly rootDir: string;
  /** With the fake runtime: simulated nodes named `<nodeName>-<i>` (default 1: the node itself). */
  readonly nodes?: number;
  readonly kubeletPort?: number;
  /** The node's InternalIP (default 127.0.0.1; `bosun up` gives the host's address, where NodePorts and load balancers answer). */
  readonly nodeIp?: string;
  readonly extraArgs?: readonly string[];
}

/**
 * One `bosun node-agent` process of a local cluster, serving its status API on `grpcPort`. It
 * dials `apiservers` as the identity of `client.kubeconfig` and serves /metrics on
 * `client.metricsPort` (any free port when unset). Its state lives in `rootDir`, so a restart
 * (after kill -9) adopts the pods its predecessor ran.
 */
export class LocalNodeAgent extends LocalProcess {
  readonly metricsUrl: string | undefined;

  /** TLS towards its status API (undefined: plain text, the component runs `--insecure`). */
  readonly statusTls: GrpcClientTls | undefined;

  constructor(
    readonly options: LocalNodeAgentOptions,
    readonly grpcPort: number,
    logFile: string,
    apiservers: readonly string[],
    client: Omit<ComponentClientArgs, 'apiservers'> = {},
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const flags = [...componentClientFlags({ ...client, apiservers }), ...statusServingFlags(client.servingTls)];
    super(
      options.nodeName,
      logFile,
      [
        'node-agent',
        ...flags,
        '--grpc-listen',
        `127.0.0.1:${grpcPort}`,
        '--node-name',
        options.nodeName,
        '--runtime',
        options.runtime,
        '--root-dir',
        options.rootDir,
        '--node-ip',
        options.nodeIp ?? '127.0.0.1',
        '--nodes',
        String(options.nodes ?? 1),
        ...(options.kubeletPort ? ['--kubelet-port', String(options.kubeletPort)] : []),
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

  /** The agent's status: its nodes, their pods and containers, the runtime's state. */
  status(node = ''): Promise<NodeAgentStatusResponse> {
    const client = new NodeAgentStatusClient(this.grpcEndpoint, grpcChannelCredentials(this.statusTls));
    return new Promise<NodeAgentStatusResponse>((resolve, reject) =>
      client.status({ node }, new grpc.Metadata(), { deadline: new Date(Date.now() + CALL_TIMEOUT_MS) }, (err, res) => (err ? reject(err) : resolve(res))),
    ).finally(() => client.close());
  }

  /** Resolves once the status API answers; rejects (with the log's tail) if the process exits or the time runs out. */
  waitReady(timeoutMs = NODE_AGENT_START_TIMEOUT_MS): Promise<void> {
    return this.pollUntilReady(() => this.status(), this.grpcEndpoint, timeoutMs, POLL_INTERVAL_MS);
  }
}
