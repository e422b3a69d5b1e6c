/**
 * `bosun node-agent`: one process running the agent of one node — or, with the fake runtime, of
 * many simulated nodes (scale tests) sharing one API connection, one pod informer and one node
 * informer whose events are routed to the agent of the node they name, and one Event writer. It
 * serves gRPC with reflection, health and the NodeAgentStatus API, and the kubelet's metrics.
 * The runtime and the PodSetup of each node come from factories, so the integrator plugs in the
 * process/docker runtimes and the real env/volume/DNS rules without touching this file.
 */
import * as path from 'node:path';
import type { GrpcClientTls, GrpcServerTls } from '../../lib/grpc/tls';
import { NodeAgentStatusService, type NodeAgentStatusResponse, type NodeAgentStatusServer } from '../../gen/bosun/node_agent';
import { RESOURCES } from '../../lib/api/resources';
import type { Node, Pod } from '../../lib/api/types';
import { listerWatcherFor } from '../../lib/client/api-adapters';
import type { ApiClient } from '../../lib/client/api-client';
import { realClock, type Clock } from '../../lib/client/clock';
import { apiEventSink, EventBroadcaster } from '../../lib/client/events';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { SharedInformer } from '../../lib/client/informer';
import { ServiceHost } from '../../lib/grpc/service-host';
import type { Logger } from '../../lib/logger';
import type { Registry } from '../../lib/metrics';
import { NodeAgent } from './node-agent';
import { NodeAgentMetrics, type RunningCounts } from './node-agent-metrics';
import type { NodeConfig } from './node/node-config';
import type { PodSetup } from './pod-setup/pod-setup';
import type { Runtime } from './runtime/runtime';
import { nodeInfoOf } from './status-response';
import { BasicPodSetup } from './testing/basic-pod-setup';
import { LocalPathProvisioner } from './volumes/local-path-provisioner';

/** Makes the runtime of one node, its state under `rootDir`. */
export type RuntimeFactory = (node: NodeConfig, rootDir: string, logger: Logger) => Runtime | Promise<Runtime>;
/** Makes the PodSetup of one node (pods' volumes and logs under `rootDir`). */
export type PodSetupFactory = (node: NodeConfig, rootDir: string, runtime: Runtime, client: ApiClient) => PodSetup;

/** The PodSetup used until the real one is wired in: plain commands and env values, logs under `<rootDir>/pods`. */
export const basicPodSetupFactory: PodSetupFactory = (_node, rootDir) => new BasicPodSetup(path.join(rootDir, 'pods'));

/** Configuration of a node-agent process. */
export interface NodeAgentServerConfig {
  readonly apiservers: readonly string[];
  readonly token?: string;
  /** TLS towards the apiservers (the cluster CA, and a client certificate when the identity has one); undefined: plain text. */
  readonly tls?: GrpcClientTls;
  /** The nodes this process runs (one, or many simulated ones). */
  readonly nodes: readonly NodeConfig[];
  /** Each node's state folder: the root itself for one node, `<root>/<node>` for several. */
  readonly rootDir: string;
  readonly runtime: RuntimeFactory;
  readonly setup?: PodSetupFactory;
  readonly metrics?: Registry;
  /** host:port of the gRPC status API ("" for none; port 0 for any free port). */
  readonly grpcListen?: string;
  /** TLS of the gRPC status API (`--tls-cert-file`, `--tls-private-key-file`); undefined: plain text. */
  readonly grpcServingTls?: GrpcServerTls;
  /** An API client to use instead of dialing `apiservers` (tests). */
  readonly client?: ApiClient;
}

export class NodeAgentServer {
  readonly agents = new Map<string, { agent: NodeAgent; runtime: Runtime }>();
  private readonly client: ApiClient;
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  private readonly events: EventBroadcaster;
  /** Makes and removes the local-path volumes of this process' nodes. */
  private readonly provisioner: LocalPathProvisioner;
  private host: ServiceHost | undefined;
  /** The bound gRPC port (0 when not serving). */
  grpcPort = 0;

  private constructor(config: NodeAgentServerConfig, logger: Logger, clock: Clock, runtimes: ReadonlyMap<string, Runtime>) {
    this.client = config.client ?? new GrpcApiClient({ endpoints: [...config.apiservers], token: config.token, tls: config.tls });
    const single = config.nodes.length === 1 ? config.nodes[0]!.nodeName : undefined;
    // One node watches only its pods and its Node; many simulated nodes share one watch of all bound pods and all nodes.
    this.pods = new SharedInformer<Pod>(listerWatcherFor(this.client.resource<Pod>(RESOURCES.pods), { fieldSelector: single ? `spec.nodeName=${single}` : 'spec.nodeName!=' }), { clock, logger });
    this.nodes = new SharedInformer<Node>(listerWatcherFor(this.client.resource<Node>(RESOURCES.nodes), single ? { fieldSelector: `metadata.name=${single}` } : {}), { clock, logger });
    this.events = new EventBroadcaster({ sink: apiEventSink(this.client), clock, logger: logger.child({ part: 'events' }) });
    const metrics = config.metrics ? new NodeAgentMetrics(config.metrics, () => this.runningCounts()) : undefined;
    const dataDirs = new Map(config.nodes.map((n) => [n.nodeName, single ? config.rootDir : path.join(config.rootDir, n.nodeName)] as const));
    this.provisioner = new LocalPathProvisioner({
      client: this.client,
      nodes: dataDirs,
      events: this.events.newRecorder({ component: 'bosun.io/local-path_' + (single ?? 'nodes') }),
      clock,
      logger,
    });
    for (const node of config.nodes) {
      const rootDir = dataDirs.get(node.nodeName)!;
      const nodeLogger = logger.child({ node: node.nodeName });
      const runtime = runtimes.get(node.nodeName)!;
      const agent = new NodeAgent({
        config: node,
        client: this.client,
        runtime,
        setup: (config.setup ?? basicPodSetupFactory)(node, rootDir, runtime, this.client),
        pods: this.pods,
        nodes: this.nodes,
        events: this.events.newRecorder({ component: 'kubelet', host: node.nodeName }),
        clock,
        logger: nodeLogger,
        onPodStarted: metrics ? (s) => metrics.podStarted(s) : undefined,
        externalEvents: true,
      });
      this.agents.set(node.nodeName, { agent, runtime });
    }
  }

  /** Serves the status API, starts the informers and every agent; resolves once all adopted their runtime's pods. */
  static async start(config: NodeAgentServerConfig, logger: Logger, clock: Clock = realClock): Promise<NodeAgentServer> {
    const runtimes = new Map<string, Runtime>();
    for (const node of config.nodes) {
      const rootDir = config.nodes.length === 1 ? config.rootDir : path.join(config.rootDir, node.nodeName);
      runtimes.set(node.nodeName, await config.runtime(node, path.join(rootDir, 'runtime'), logger.child({ node: node.nodeName })));
    }
    const s = new NodeAgentServer(config, logger, clock, runtimes);
    if (config.grpcListen) {
      const host = new ServiceHost(['bosun/node_agent.proto'], {}, undefined, config.grpcServingTls);
      host.addService(NodeAgentStatusService, s.statusService());
      s.grpcPort = await host.listen(config.grpcListen);
      s.host = host;
    }
    const route = <T extends Pod | Node>(name: (o: T) => string | undefined, handle: (a: NodeAgent, o: T) => void) => (o: T) => {
      const entry = s.agents.get(name(o) ?? '');
      if (entry) handle(entry.agent, o);
    };
    const onPod = route<Pod>((p) => p.spec?.nodeName, (a, p) => a.handlePod(p));
    const onNode = route<Node>((n) => n.metadata.name, (a, n) => a.handleNode(n));
    s.pods.addEventHandler({ onAdd: onPod, onUpdate: (_o, p) => onPod(p), onDelete: onPod });
    s.nodes.addEventHandler({ onAdd: onNode, onUpdate: (_o, n) => onNode(n) });
    s.pods.run();
    s.nodes.run();
    void s.provisioner.start();
    await Promise.all([...s.agents.values()].map(({ agent }) => agent.start()));
    logger.info({ apiservers: config.apiservers, nodes: s.agents.size, grpcPort: s.grpcPort }, 'node agent started');
    return s;
  }

  /** The status API's answer (one node, or all). */
  async status(node = ''): Promise<NodeAgentStatusResponse> {
    const chosen = [...this.agents.values()].filter(({ agent }) => !node || agent.nodeName === node);
    return { nodes: await Promise.all(chosen.map(({ agent, runtime }) => nodeInfoOf(agent, runtime.name, () => runtime.version()))) };
  }

  /** Stops the agents (containers keep running), the informers, the Event writer and the status API. */
  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map(async ({ agent, runtime }) => {
      await agent.stop();
      await runtime.close();
    }));
    await this.provisioner.stop();
    this.pods.stop();
    this.nodes.stop();
    await this.events.shutdown();
    await this.host?.shutdown(1000);
    this.client.close();
  }

  private runningCounts(): RunningCounts {
    const counts: RunningCounts = { pods: 0, containers: { running: 0, created: 0, exited: 0, unknown: 0 } };
    for (const { agent } of this.agents.values()) {
      counts.pods += agent.snapshot.sandboxes.filter((s) => s.state === 'ready').length;
      for (const c of agent.snapshot.containers) counts.containers[c.state]++;
    }
    return counts;
  }

  private statusService(): NodeAgentStatusServer {
    return {
      status: (call, callback) => {
        this.status(call.request.node).then(
          (r) => callback(null, r),
          (err: Error) => callback({ code: 13, details: err.message }, null),
        );
      },
    };
  }
}
