import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import type { KubeObject } from '../../lib/api/object';
import { RESOURCES } from '../../lib/api/resources';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { SimulatedKubelet, type SimulatedNodeSpec } from '../../lib/client/testing/simulated-kubelet';
import { LocalApiServer } from '../../lib/launcher/apiserver-process';
import { componentServingTls } from '../../lib/launcher/component-args';
import { LocalControllerManager } from '../../lib/launcher/controller-manager-process';
import { LocalDns } from '../../lib/launcher/dns-process';
import { removeNodeContainers } from '../../lib/launcher/local-nodes';
import { LocalNodeAgent } from '../../lib/launcher/node-agent-process';
import { LocalProxy } from '../../lib/launcher/proxy-process';
import { LocalScheduler } from '../../lib/launcher/scheduler-process';
import type { ProxyMode } from '../../services/proxy/data-path';
import { freePort, LocalStoreCluster } from '../../lib/launcher/store-cluster';
import { COREDNS, KUBE_CONTROLLER_MANAGER, KUBE_PROXY, KUBE_SCHEDULER, nodeIdentity, writeComponentKubeconfigs } from '../../cli/component-identities';
import { ensureTokenFile, writeHttpKubeconfig } from '../../services/apiserver/http/bearer-auth';
import { ensureClusterTls } from '../../services/apiserver/http/cluster-tls';
import { runKubectl, type KubectlRun } from '../../services/apiserver/http/test-clients';

/** How often `waitFor` polls, ms. */
const POLL_MS = 100;

/** Options of a {@link ControlPlaneCluster}. */
export interface ControlPlaneOptions {
  /** Store members (default 1). */
  readonly members?: number;
  /** `bosun scheduler` replicas (default 1). */
  readonly schedulers?: number;
  /** Extra flags for every scheduler (e.g. shorter leader-election durations). */
  readonly schedulerArgs?: readonly string[];
  /** `bosun controller-manager` replicas (default 1). */
  readonly controllerManagers?: number;
  /** Extra flags for every controller-manager (e.g. `--controllers`, leader-election durations). */
  readonly controllerManagerArgs?: readonly string[];
  /** Simulated nodes whose pods "run" (default two: sim-1, sim-2); [] for none. */
  readonly nodes?: readonly SimulatedNodeSpec[];
  /** Delay between a pod's binding and its Running status on the simulated nodes, ms (default 0). */
  readonly podStartDelayMs?: number;
  /** Real `bosun node-agent` processes (default none): each runs the node `nodeName` (or `nodes` simulated ones) with `runtime` (default fake). */
  readonly nodeAgents?: readonly { readonly nodeName: string; readonly runtime?: string; readonly nodes?: number }[];
  /** Run a `bosun dns` (as the coredns identity, on free ports; see `dns`). */
  readonly dns?: true;
  /** Extra flags for the DNS (e.g. `--upstream`). */
  readonly dnsArgs?: readonly string[];
  /** One `bosun proxy` for every node agent's node (they share this host's network namespace); `extraArgs` e.g. `--min-sync-period`. */
  readonly proxy?: { readonly mode?: ProxyMode; readonly extraArgs?: readonly string[] };
}

/** The namespaces a cluster starts with: a shared cluster's `release` deletes every other one. */
const SYSTEM_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
/** How long `release` waits for the namespaces of the file that used a shared cluster to go, ms. */
const RELEASE_TIMEOUT_MS = 60_000;

/**
 * What test files sharing one cluster ask for: two controller-managers (one leads), one
 * scheduler and the two default simulated nodes. Each file sets its pod start delay, works in
 * namespaces of its own and gives the cluster back with `release`.
 */
export const SHARED_SIMULATED_OPTIONS: ControlPlaneOptions = { controllerManagers: 2 };

/** Clusters shared between test files, by their options (see {@link ControlPlaneCluster.shared}). */
const sharedClusters = new Map<string, Promise<ControlPlaneCluster>>();

// The shared clusters stop once, after the last test file: a root-level hook, registered while
// mocha loads the first file that imports this module (outside mocha there is no `after`).
if (typeof after === 'function') {
  after(async function () {
    this.timeout(60_000);
    const clusters = await Promise.all([...sharedClusters.values()].map((c) => c.catch(() => undefined)));
    sharedClusters.clear();
    await Promise.all(clusters.map((c) => c?.stop()));
  });
}

/** Two simulated nodes of 8 CPUs and 32 GiB. */
export const DEFAULT_SIMULATED_NODES: readonly SimulatedNodeSpec[] = [{ name: 'sim-1' }, { name: 'sim-2' }];

/**
 * A control plane of real processes for end-to-end tests, started through the launcher: a
 * store, one apiserver (gRPC and the Kubernetes HTTPS API, one token file), scheduler and
 * controller-manager replicas running as their own identities (kubeconfigs as `bosun up` writes
 * them, /metrics on known ports, status APIs on TLS from the cluster CA), and simulated nodes (SimulatedKubelet in the test process,
 * through the API) on which bound pods run. The real kubectl talks to the apiserver. Everything
 * lives in a temporary folder and on free ports.
 */
export class ControlPlaneCluster {
  readonly schedulers: LocalScheduler[] = [];
  readonly controllerManagers: LocalControllerManager[] = [];
  readonly nodeAgents: LocalNodeAgent[] = [];
  /** The proxy of the node agents' nodes (with the `proxy` option). */
  proxy: LocalProxy | undefined;
  /** Plays the kubelet for the simulated nodes (absent without nodes). */
  kubelet: SimulatedKubelet | undefined;
  /** The cluster DNS (with `dns: true`). */
  dns: LocalDns | undefined;

  private constructor(
    readonly dir: string,
    readonly store: LocalStoreCluster,
    readonly apiserver: LocalApiServer,
    /** An admin client over gRPC. */
    readonly client: GrpcApiClient,
    /** The admin kubeconfig (HTTPS) kubectl uses. */
    readonly kubeconfig: string,
    /** The apiserver's token file (admin and component tokens). */
    readonly tokenFile: string,
  ) {}

  static async start(prefix: string, opts: ControlPlaneOptions = {}): Promise<ControlPlaneCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bosun-${prefix}-`));
    const certDir = path.join(dir, 'pki');
    // Mutual TLS between the apiserver and the store, under the one cluster CA in certDir.
    const store = await LocalStoreCluster.create({ members: opts.members ?? 1, dir: path.join(dir, 'store'), pkiDir: certDir });
    store.startAll();
    const tls = ensureClusterTls(certDir);
    const tokenFile = path.join(dir, 'tokens.csv');
    const token = ensureTokenFile(tokenFile);
    const httpsPort = await freePort();
    const apiserver = new LocalApiServer('apiserver-1', await freePort(), path.join(dir, 'logs', 'apiserver-1.log'), store.endpoints, { port: httpsPort, certDir, tokenFile }, process.env, store.apiserverTlsArgs());
    const client = new GrpcApiClient({ endpoints: [apiserver.grpcEndpoint], token, tls: { caCert: tls.caCert } });
    const cluster = new ControlPlaneCluster(dir, store, apiserver, client, path.join(dir, 'kubeconfig'), tokenFile);
    const kubeconfigs = writeComponentKubeconfigs({ dir, tokenFile, grpcEndpoints: [apiserver.grpcEndpoint], server: apiserver.httpsUrl, caCert: tls.caCert, nodeNames: (opts.nodeAgents ?? []).map((a) => a.nodeName) });
    try {
      await store.waitReady();
      apiserver.start();
      await apiserver.waitReady();
      writeHttpKubeconfig(cluster.kubeconfig, { server: apiserver.httpsUrl!, caCert: tls.caCert, token, namespace: 'default' });
      for (let i = 1; i <= (opts.schedulers ?? 1); i++) {
        const identity = { kubeconfig: kubeconfigs.get(KUBE_SCHEDULER.component)!, metricsPort: await freePort(), servingTls: componentServingTls(certDir, `scheduler-${i}`) };
        const s = new LocalScheduler(`scheduler-${i}`, await freePort(), path.join(dir, 'logs', `scheduler-${i}.log`), [], opts.schedulerArgs ?? [], process.env, identity);
        cluster.schedulers.push(s);
        s.start();
      }
      for (let i = 1; i <= (opts.controllerManagers ?? 1); i++) {
        const identity = { kubeconfig: kubeconfigs.get(KUBE_CONTROLLER_MANAGER.component)!, metricsPort: await freePort() };
        const cm = new LocalControllerManager(`controller-manager-${i}`, path.join(dir, 'logs', `controller-manager-${i}.log`), identity, opts.controllerManagerArgs ?? []);
        cluster.controllerManagers.push(cm);
        cm.start();
      }
      for (const a of opts.nodeAgents ?? []) {
        // Each agent is its node (an agent simulating several nodes acts as the first of them).
        const identity = { kubeconfig: kubeconfigs.get(nodeIdentity(a.nodeName).component)!, metricsPort: await freePort(), servingTls: componentServingTls(certDir, a.nodeName) };
        // The cluster CA's folder: the agent's serving certificate for logs/exec/port-forward comes from it.
        const options = { nodeName: a.nodeName, runtime: a.runtime ?? 'fake', nodes: a.nodes, rootDir: path.join(dir, 'node-agents', a.nodeName), kubeletPort: await freePort(), extraArgs: ['--cert-dir', certDir] };
        const agent = new LocalNodeAgent(options, await freePort(), path.join(dir, 'logs', `node-agent-${a.nodeName}.log`), [], identity);
        cluster.nodeAgents.push(agent);
        agent.start();
      }
      if (opts.dns) {
        const identity = { kubeconfig: kubeconfigs.get(COREDNS.component)!, metricsPort: await freePort(), servingTls: componentServingTls(certDir, 'dns') };
        cluster.dns = new LocalDns('dns', { dns: await freePort(), grpc: await freePort() }, path.join(dir, 'logs', 'dns.log'), identity, opts.dnsArgs ?? []);
        cluster.dns.start();
      }
      if (opts.proxy) {
        const identity = { kubeconfig: kubeconfigs.get(KUBE_PROXY.component)!, metricsPort: await freePort(), servingTls: componentServingTls(certDir, 'proxy') };
        const options = { nodeNames: (opts.nodeAgents ?? []).map((a) => a.nodeName), mode: opts.proxy.mode, extraArgs: opts.proxy.extraArgs };
        cluster.proxy = new LocalProxy(options, await freePort(), path.join(dir, 'logs', 'proxy.log'), [], identity);
        cluster.proxy.start();
      }
      const nodes = opts.nodes ?? DEFAULT_SIMULATED_NODES;
      if (nodes.length > 0) {
        cluster.kubelet = new SimulatedKubelet({ client, startDelayMs: opts.podStartDelayMs, logger: pino({ level: 'silent' }) });
        await cluster.kubelet.start(nodes);
      }
      await Promise.all([...cluster.schedulers.map((s) => s.waitReady()), ...cluster.controllerManagers.map((c) => c.waitReady()), ...cluster.nodeAgents.map((a) => a.waitReady()), ...(cluster.dns ? [cluster.dns.waitReady()] : []), ...(cluster.proxy ? [cluster.proxy.waitReady()] : [])]);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /**
   * A cluster shared by every test file that asks for the same options (started by the first,
   * stopped after the last file of the run): a cluster start costs more than most files' tests.
   * `podStartDelayMs` is set for the caller, not part of what is shared. Files give it back with
   * {@link release}, never {@link stop}.
   */
  static shared(opts: ControlPlaneOptions = SHARED_SIMULATED_OPTIONS): Promise<ControlPlaneCluster> {
    const { podStartDelayMs, ...shared } = opts;
    const key = JSON.stringify(shared);
    let cluster = sharedClusters.get(key);
    if (!cluster) {
      cluster = ControlPlaneCluster.start('shared', shared);
      sharedClusters.set(key, cluster);
      // A failed start is not cached: the next file tries again.
      cluster.catch(() => sharedClusters.delete(key));
    }
    return cluster.then((c) => {
      c.kubelet?.setStartDelay(podStartDelayMs ?? 0);
      return c;
    });
  }

  /**
   * Gives a shared cluster back as the next file expects it: the namespaces the file made are
   * deleted (and waited for, so their pods no longer take room on the nodes), the simulated
   * nodes are schedulable again and pods start without delay.
   */
  async release(): Promise<void> {
    this.kubelet?.setStartDelay(0);
    const namespaces = this.client.resource(RESOURCES.namespaces);
    const own = (await namespaces.list(undefined)).items.map((n) => n.metadata.name!).filter((n) => !SYSTEM_NAMESPACES.has(n));
    await Promise.all(own.map((n) => namespaces.delete(undefined, n).catch(() => undefined)));
    const nodes = this.client.resource(RESOURCES.nodes);
    for (const node of (await nodes.list(undefined)).items) {
      if ((node as { spec?: { unschedulable?: boolean } }).spec?.unschedulable) await nodes.patch(undefined, node.metadata.name!, 'application/merge-patch+json', JSON.stringify({ spec: { unschedulable: null } }));
    }
    await this.waitFor(async () => ((await namespaces.list(undefined)).items.some((n) => own.includes(n.metadata.name!)) ? undefined : true), RELEASE_TIMEOUT_MS, `namespaces ${own.join(', ')} to be deleted`);
  }

  /** Runs the real kubectl against the apiserver. */
  kubectl(args: string[], input?: string): Promise<KubectlRun> {
    return runKubectl(this.kubeconfig, this.dir, args, input);
  }

  /** Runs the real kubectl and returns its stdout; a non-zero exit throws with its stderr. */
  async kubectlOk(args: string[], input?: string): Promise<string> {
    const r = await this.kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  /** The scheduler replica that holds the lease, once one does. */
  async leader(timeoutMs = 30_000): Promise<LocalScheduler> {
    return this.waitFor(async () => {
      for (const s of this.schedulers) {
        if (!s.isRunning()) continue;
        const st = await s.status().catch(() => undefined);
        if (st?.leading) return s;
      }
      return undefined;
    }, timeoutMs, 'a leading scheduler');
  }

  /** The controller-manager replica that holds the lease, once one does. */
  async controllerManagerLeader(timeoutMs = 30_000): Promise<LocalControllerManager> {
    return this.waitFor(async () => {
      for (const c of this.controllerManagers) {
        if (c.isRunning() && (await c.isLeader().catch(() => false))) return c;
      }
      return undefined;
    }, timeoutMs, 'a leading controller-manager');
  }

  /** Polls `fn` until it gives a value (not undefined), or rejects after `ms` with the components' log tails. */
  async waitFor<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > deadline) {
        const logs = [...this.schedulers, ...this.controllerManagers, ...this.nodeAgents, ...(this.dns ? [this.dns] : []), ...(this.proxy ? [this.proxy] : [])].map((p) => `${p.name}:\n${p.tailLog(8)}`).join('\n---\n');
        throw new Error(`timed out after ${ms} ms waiting for ${what}; logs end with:\n${logs}`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Creates Node objects through the API (nodes that run nothing; see `kubelet` for ones that do). */
  async createNodes(nodes: KubeObject[]): Promise<void> {
    const res = this.client.resource(RESOURCES.nodes);
    await Promise.all(nodes.map((n) => res.create(undefined, n)));
  }

  async stop(): Promise<void> {
    this.kubelet?.stop();
    this.client.close();
    await Promise.all([...this.schedulers, ...this.controllerManagers, ...this.nodeAgents, ...(this.dns ? [this.dns] : []), ...(this.proxy ? [this.proxy] : [])].map((p) => p.kill('SIGTERM')));
    // The proxy leaves its node setup in place on exit (as kube-proxy): remove it.
    await this.proxy?.cleanup();
    // Node agents leave their containers running by design (a restarted agent adopts them): remove them, as bosun up does.
    await removeNodeContainers(this.nodeAgents);
    await this.apiserver.kill('SIGTERM');
    await this.store.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Node manifest with capacity = allocatable, labels and taints, as a user would create it by hand. */
export function nodeManifest(name: string, o: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: unknown[] } = {}): KubeObject {
  const resources = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: o.taints ? { taints: o.taints } : {},
    status: { capacity: resources, allocatable: resources },
  };
}
