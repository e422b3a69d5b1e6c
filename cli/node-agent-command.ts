import { hostAddress } from '../lib/network/host-address';
import { readKubeconfig } from '../lib/client/kubeconfig';
import { NODE_USER_PREFIX } from '../services/apiserver/authz/node-authorizer';
import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Quantity } from '../lib/api/quantity';
import { ConfigError } from '../lib/config-error';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from '../lib/logger';
import { ensureNodeServingCert, nodeServingCertName } from '../lib/pki/component-certs';
import { ReloadingIdentity } from '../lib/pki/reloading-identity';
import { NodePodSetup } from '../services/node-agent/pod-setup/node-pod-setup';
import { readHostUsage } from '../services/node-agent/stats/host-usage';
import { statsSummary as nodeStatsSummary } from '../services/node-agent/stats/stats-summary';
import { startStreamingServer, type StreamingServer } from '../services/node-agent/streaming/streaming-server';
import { NodeAgentServer, type PodSetupFactory, type RuntimeFactory } from '../services/node-agent/node-agent-server';
import { checkReserved, DEFAULT_CLUSTER_DNS, DEFAULT_CLUSTER_DOMAIN, DEFAULT_KUBELET_PORT, DEFAULT_MAX_PODS, hostCapacity, parseKeyValueList, type NodeConfig, type NodeResource } from '../services/node-agent/node/node-config';
import { createRuntime, parseRuntimeKind } from '../services/node-agent/runtime/index';
import { startPeerPodRoutes } from '../services/node-agent/node/peer-pod-routes';
import { apiClientOptions, apiConnectionOf, servingTlsOf, servingTlsOptions, componentEnv, metricsOption, parseHostPort, startComponentMetrics } from './component-flags';
import { exitOnSignals, keepAlive } from './graceful-exit';
import { startProcessReclaimer } from '../lib/memory-reclaimer';

/** Where the agent serves its gRPC status API by default (the kubelet's healthz port). */
export const DEFAULT_NODE_AGENT_GRPC_LISTEN = '127.0.0.1:10248';
/** Where the agent serves /metrics by default (the kubelet's read-only port). */
export const DEFAULT_NODE_AGENT_METRICS_ADDRESS = '127.0.0.1:10255';
/** Most simulated nodes one process may run (--nodes). */
export const MAX_SIMULATED_NODES = 5000;

/** Environment variable for a node-agent flag: --node-name → BOSUN_NODE_AGENT_NODE_NAME. */
export function nodeAgentEnv(flag: string): string {
  return componentEnv('node-agent', flag);
}

function positiveInt(flag: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ConfigError(`--${flag}: "${value}" is not an integer from 1 to ${max}`);
  return n;
}

function quantityFlag(flag: string, value: string): string {
  try {
    Quantity.parse(value);
    return value;
  } catch {
    throw new ConfigError(`--${flag}: "${value}" is not a quantity`);
  }
}

/** The node configurations the flags describe (one, or `--nodes N` simulated ones). */
export function nodeConfigsOf(o: Record<string, string>): { nodes: NodeConfig[]; rootDir: string } {
  const name = o.nodeName || os.hostname().toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) throw new ConfigError(`--node-name: "${name}" is not a valid node name (lowercase letters, digits, '-' and '.')`);
  const count = positiveInt('nodes', o.nodes ?? '1', MAX_SIMULATED_NODES);
  const maxPods = positiveInt('max-pods', o.maxPods!, 100_000);
  const rootDir = path.resolve(o.rootDir || path.join('.data', 'node-agent', name));
  const capacity: Record<NodeResource, string> = { ...hostCapacity(rootDir, maxPods) };
  if (o.cpu) capacity.cpu = quantityFlag('cpu', o.cpu);
  if (o.memory) capacity.memory = quantityFlag('memory', o.memory);
  const reserved = parseKeyValueList('system-reserved', o.systemReserved ?? '', checkReserved);
  const labels = parseKeyValueList('node-labels', o.nodeLabels ?? '');
  const kubeletPort = positiveInt('kubelet-port', o.kubeletPort!, 65535);
  const base = { labels, capacity, reserved, address: o.nodeIp || hostAddress(), kubeletPort, clusterDns: o.clusterDns!.split(',').map((s) => s.trim()).filter((s) => s), clusterDomain: o.clusterDomain! };
  const names = count === 1 ? [name] : Array.from({ length: count }, (_, i) => `${name}-${i + 1}`);
  return { nodes: names.map((nodeName) => ({ ...base, nodeName })), rootDir };
}

/**
 * `bosun node-agent`: runs the pods bound to this node. `setup` makes each node's PodSetup (the
 * integrator passes the real env/volume/DNS rules; the default runs plain commands and env values).
 */
export function nodeAgentCommand(setup?: PodSetupFactory): Command {
  const opt = (flag: string, description: string, defaultValue?: string) => {
    const o = new Option(`--${flag} <value>`, description).env(nodeAgentEnv(flag));
    return defaultValue === undefined ? o : o.default(defaultValue);
  };
  const command = new Command('node-agent').description("run a node's agent (Bosun's kubelet): registers the Node, renews its Lease, runs the pods bound to it");
  for (const o of apiClientOptions('node-agent')) command.addOption(o);
  for (const o of servingTlsOptions('node-agent')) command.addOption(o);
  command
    .addOption(opt('node-name', 'name of the Node (default: the hostname)'))
    .addOption(opt('runtime', 'container runtime: process, docker or fake', 'process'))
    .addOption(opt('root-dir', 'state folder (default .data/node-agent/<node>)'))
    .addOption(opt('kubelet-port', "port of the agent's streaming server, advertised on the Node", String(DEFAULT_KUBELET_PORT)))
    .addOption(opt('node-ip', "the node's InternalIP (default: the first non-loopback IPv4 address)"))
    .addOption(opt('grpc-listen', 'host:port of the gRPC status API (reflection, health, NodeAgentStatus); "" turns it off', DEFAULT_NODE_AGENT_GRPC_LISTEN))
    .addOption(metricsOption('node-agent', DEFAULT_NODE_AGENT_METRICS_ADDRESS))
    .addOption(opt('cluster-dns', 'DNS server addresses for pods, comma-separated', DEFAULT_CLUSTER_DNS))
    .addOption(opt('cluster-domain', 'the cluster DNS domain', DEFAULT_CLUSTER_DOMAIN))
    .addOption(opt('max-pods', 'pods this node can run (capacity pods)', String(DEFAULT_MAX_PODS)))
    .addOption(opt('cpu', 'CPU capacity to report instead of the host CPUs, e.g. 8 or 3500m'))
    .addOption(opt('memory', "memory capacity to report instead of the host's, e.g. 32Gi"))
    .addOption(opt('system-reserved', 'resources kept for the system, e.g. cpu=500m,memory=1Gi (allocatable = capacity - reserved)', ''))
    .addOption(opt('node-labels', 'extra Node labels, key=value,…', ''))
    .addOption(opt('nodes', 'with --runtime fake: simulate this many nodes named <node-name>-<i> in one process', '1'))
    .addOption(opt('cert-dir', "the cluster CA's folder (ca.crt, ca.key): the agent's serving certificate for logs/exec/port-forward is issued from it"))
    .addOption(opt('cluster-cidr', "the cluster's pod range (docker runtime: pods may reach other nodes' pods in it)", '10.42.0.0/16'))
    .addOption(new Option('--peer-pod-routes', "route the other nodes' pod ranges via their InternalIPs (nodes on separate hosts, e.g. compose's node containers; root)").env(nodeAgentEnv('peer-pod-routes')));
  return command
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]).default('info').env(nodeAgentEnv('log-level')))
    .action(async (o: Record<string, string>) => {
      const logger = createLogger('node-agent', o.logLevel as LogLevel);
      const grpcListen = o.grpcListen ? parseHostPort('grpc-listen', o.grpcListen) : '';
      const grpcServingTls = servingTlsOf(o, grpcListen);
      const kind = parseRuntimeKind(o.runtime!);
      const { nodes, rootDir } = nodeConfigsOf(o);
      if (nodes.length > 1 && kind !== 'fake') throw new ConfigError(`--nodes: only the fake runtime can simulate several nodes (got --runtime ${kind})`);
      const runtime: RuntimeFactory = (node, dir, log) => createRuntime(kind, { rootDir: dir, nodeName: node.nodeName, logger: log, clusterCIDR: o.clusterCidr });
      const certDir = o.certDir ? path.resolve(o.certDir) : undefined;
      if (certDir && !fs.existsSync(path.join(certDir, 'ca.key'))) throw new ConfigError(`--cert-dir: ${certDir} holds no cluster CA (ca.crt and ca.key)`);
      keepAlive();
      const api = apiConnectionOf(o);
      const mismatch = o.kubeconfig ? identityMismatch(o.kubeconfig, nodes[0]!.nodeName) : undefined;
      if (mismatch) logger.warn({ kubeconfig: o.kubeconfig, node: nodes[0]!.nodeName }, mismatch);
      const metrics = await startComponentMetrics(o, logger);
      const server = await NodeAgentServer.start(
        { apiservers: api.endpoints, token: api.token, tls: api.tls, nodes, rootDir, runtime, setup: setup ?? nodePodSetupFactory(logger), metrics: metrics.registry, grpcListen, grpcServingTls },
        logger,
      );
      // The kubelet's port: logs, exec, attach and port-forward for the apiserver (one real node per process).
      const streaming = certDir && nodes.length === 1 ? await startNodeStreaming(server, nodes[0]!, certDir, logger) : undefined;
      if (!streaming) logger.warn('no --cert-dir: kubectl logs, exec, attach and port-forward cannot reach this node');
      const stopPeerRoutes = o.peerPodRoutes && nodes.length === 1 ? startPeerPodRoutes(api, { name: nodes[0]!.nodeName, address: nodes[0]!.address }, logger) : undefined;
      startProcessReclaimer(logger);
      exitOnSignals(logger, async () => {
        await stopPeerRoutes?.();
        await streaming?.close();
        await server.stop();
        await metrics.close();
      });
    });
}

/** The real env, volume and DNS rules, reading ConfigMaps, Secrets, Services and volumes through the agent's API client. */
function nodePodSetupFactory(logger: Logger): PodSetupFactory {
  return (node, rootDir, _runtime, client) =>
    new NodePodSetup({ client, rootDir, nodeName: node.nodeName, clusterDns: node.clusterDns, clusterDomain: node.clusterDomain, logger: logger.child({ node: node.nodeName, part: 'pod-setup' }) });
}

/** Serves the node's streaming API on its kubelet port with a serving certificate from the cluster CA. */
async function startNodeStreaming(server: NodeAgentServer, node: NodeConfig, certDir: string, logger: Logger): Promise<StreamingServer> {
  const { runtime } = server.agents.get(node.nodeName)!;
  const cert = ensureNodeServingCert(certDir, node.nodeName, [node.address, '127.0.0.1', 'localhost', node.nodeName]);
  const statsSummary = () => nodeStatsSummary(node.nodeName, runtime, readHostUsage(), Date.now());
  // The certificate files are followed: bosun up renews them while the agent runs.
  const certName = nodeServingCertName(node.nodeName);
  const identity = ReloadingIdentity.fromFiles(path.join(certDir, `${certName}.crt`), path.join(certDir, `${certName}.key`));
  const streaming = await startStreamingServer({ runtime, port: node.kubeletPort, tls: { cert: cert.cert, key: cert.key, caCert: cert.caCert, identity }, logger, statsSummary });
  logger.info({ port: streaming.port }, 'serving logs, exec, attach and port-forward for the apiserver');
  return streaming;
}

/**
 * Why the kubeconfig's user is not this node's identity (system:node:<node>), or undefined when
 * it is: under the Node authorizer a node agent may touch only the Node its user names, so a
 * mismatch leaves it unable to register or run pods.
 */
export function identityMismatch(kubeconfig: string, nodeName: string): string | undefined {
  let user: string | undefined;
  try {
    const config = readKubeconfig(kubeconfig);
    const current = config.contexts.find((c) => c.name === config['current-context']) ?? config.contexts[0];
    user = current?.context.user;
  } catch {
    return undefined; // the connection reports an unreadable kubeconfig itself
  }
  const wanted = `${NODE_USER_PREFIX}${nodeName}`;
  return user === wanted ? undefined : `the kubeconfig's user is "${user ?? ''}", not this node's identity "${wanted}": with the Node authorizer the apiserver will refuse this agent's writes to node "${nodeName}"`;
}
