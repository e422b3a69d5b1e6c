import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeObject } from '../../lib/api/object';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { LocalApiServer } from '../../lib/launcher/apiserver-process';
import { LocalScheduler } from '../../lib/launcher/scheduler-process';
import { freePort, LocalStoreCluster } from '../../lib/launcher/store-cluster';
import { KUBE_SCHEDULER, writeComponentKubeconfigs } from '../../cli/component-identities';
import { ensureTokenFile, writeHttpKubeconfig } from '../../services/apiserver/http/bearer-auth';
import { ensureClusterTls } from '../../services/apiserver/http/cluster-tls';
import { runKubectl, type KubectlRun } from '../../services/apiserver/http/test-clients';
import { NODES } from '../../services/scheduler/api-resources';

/** How often `waitFor` polls, ms. */
const POLL_MS = 100;

/** Options of a {@link SchedulerCluster}. */
export interface SchedulerClusterOptions {
  /** Store members (default 1). */
  readonly members?: number;
  /** Extra flags for both schedulers (e.g. shorter leader-election durations). */
  readonly schedulerArgs?: readonly string[];
}

/**
 * A cluster of real processes for the scheduler's end-to-end tests, started through the
 * launcher: a store, one apiserver (gRPC and the Kubernetes HTTPS API, one token file), and two
 * `bosun scheduler` replicas running as system:kube-scheduler (their kubeconfig, as `bosun up`
 * writes it) with /metrics on known ports; the real kubectl talks to the apiserver. Everything
 * lives in a temporary folder and on free ports.
 */
export class SchedulerCluster {
  private constructor(
    readonly dir: string,
    readonly store: LocalStoreCluster,
    readonly apiserver: LocalApiServer,
    readonly schedulers: LocalScheduler[],
    readonly client: GrpcApiClient,
    readonly kubeconfig: string,
    /** The apiserver's token file (admin and component tokens). */
    readonly tokenFile: string,
  ) {}

  static async start(prefix: string, opts: SchedulerClusterOptions = {}): Promise<SchedulerCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bosun-${prefix}-`));
    const store = await LocalStoreCluster.create({ members: opts.members ?? 1, dir: path.join(dir, 'store') });
    store.startAll();
    const certDir = path.join(dir, 'pki');
    const tls = ensureClusterTls(certDir);
    const tokenFile = path.join(dir, 'tokens.csv');
    const token = ensureTokenFile(tokenFile);
    const httpsPort = await freePort();
    const apiserver = new LocalApiServer('apiserver-1', await freePort(), path.join(dir, 'logs', 'apiserver-1.log'), store.endpoints, { port: httpsPort, certDir, tokenFile });
    const schedulers: LocalScheduler[] = [];
    const client = new GrpcApiClient({ endpoints: [apiserver.grpcEndpoint] });
    const cluster = new SchedulerCluster(dir, store, apiserver, schedulers, client, path.join(dir, 'kubeconfig'), tokenFile);
    const kubeconfigs = writeComponentKubeconfigs({ dir, tokenFile, grpcEndpoints: [apiserver.grpcEndpoint], server: apiserver.httpsUrl, caCert: tls.caCert });
    try {
      await store.waitReady();
      apiserver.start();
      await apiserver.waitReady();
      for (const i of [1, 2]) {
        const identity = { kubeconfig: kubeconfigs.get(KUBE_SCHEDULER.component)!, metricsPort: await freePort() };
        const s = new LocalScheduler(`scheduler-${i}`, await freePort(), path.join(dir, 'logs', `scheduler-${i}.log`), [], opts.schedulerArgs ?? [], process.env, identity);
        schedulers.push(s);
        s.start();
      }
      await Promise.all(schedulers.map((s) => s.waitReady()));
      writeHttpKubeconfig(cluster.kubeconfig, { server: apiserver.httpsUrl!, caCert: tls.caCert, token, namespace: 'default' });
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Runs the real kubectl against the apiserver. */
  kubectl(args: string[], input?: string): Promise<KubectlRun> {
    return runKubectl(this.kubeconfig, this.dir, args, input);
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

  /** Polls `fn` until it gives a value (not undefined), or rejects after `ms`. */
  async waitFor<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; scheduler logs end with:\n${this.schedulers.map((s) => s.tailLog(8)).join('\n---\n')}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Creates Node objects through the API (what node agents will do). */
  async createNodes(nodes: KubeObject[]): Promise<void> {
    const res = this.client.resource(NODES);
    await Promise.all(nodes.map((n) => res.create(undefined, n)));
  }

  async stop(): Promise<void> {
    this.client.close();
    await Promise.all(this.schedulers.map((s) => s.kill('SIGTERM')));
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
