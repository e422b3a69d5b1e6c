/**
 * A `bosun up` cluster as the chaos run sees it: the processes it may signal (their pids from
 * the supervisor's pid files, current across restarts), who leads the store and the leader-
 * elected components, each node's runtime state, and an admin API client.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { RESOURCES } from '../../lib/api/resources';
import type { Lease } from '../../lib/api/types/coordination';
import type { ApiClient } from '../../lib/client/api-client';
import { grpcClientFor, serviceConnection } from '../../lib/client/kubeconfig-client';
import { callStatus } from '../../lib/launcher/status-call';
import { memberStatus } from '../../lib/launcher/store-cluster';
import type { StoreClientTls } from '../../store/client/endpoint';
import { NodeAgentStatusClient, type NodeInfo } from '../../gen/bosun/node_agent';
import { etcdctlEnvFromUp, startUp, type RunningUp } from '../support/bosun-up';

/** How long `bosun up` may take to be up (the busybox image is built once and cached). */
export const UP_TIMEOUT_MS = 300_000;
/**
 * How long the store and each apiserver may take to come up (`bosun up --start-timeout`), s: far
 * above the defaults (20 s, 30 s), which a machine shared by many test runs sometimes misses.
 */
const START_TIMEOUT_S = 90;
/** Starts of `bosun up` tried before giving up: the start is not what the chaos run checks. */
const UP_ATTEMPTS = 2;
/** How long `bosun up` may take to stop after SIGTERM before its process group is killed. */
const STOP_TIMEOUT_MS = 30_000;
/** The API client's per-call deadline during chaos: short, so a call to a dead server is given up quickly. */
const CHAOS_CALL_TIMEOUT_MS = 5_000;
/** How long one store member's status may take. */
const MEMBER_STATUS_TIMEOUT_MS = 1_000;
/** The folder under --dir with one `<component>.pid` per supervised process (cli/up-command.ts UP_PID_DIR). */
const PID_DIR = 'pids';

/** A leader-elected component's Lease in kube-system. */
export type LeaderLease = 'kube-scheduler' | 'kube-controller-manager';

/** The `bosun up` cluster of a chaos run. See the file comment. */
export class UpCluster {
  private constructor(
    readonly dir: string,
    private readonly up: RunningUp,
    /** Store member name → its client endpoint (host:port). */
    readonly storeMembers: ReadonlyMap<string, string>,
    /** Node name → its agent's status API endpoint. */
    readonly nodeAgents: ReadonlyMap<string, string>,
    /** Apiserver name → its gRPC endpoint. */
    readonly apiservers: ReadonlyMap<string, string>,
    readonly client: ApiClient,
    /** The store's mutual TLS, as bosun up printed it for etcdctl. */
    private readonly storeTls: StoreClientTls | undefined,
  ) {}

  /**
   * Starts `bosun up --ports free --dir DIR --nodes NODES` with `env` added to the environment
   * (the components read their flags from it, e.g. a short node grace period) and waits until it is up.
   */
  static async start(dir: string, nodes: number, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<UpCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await UpCluster.startOnce(dir, nodes, env);
      } catch (err) {
        if (attempt >= UP_ATTEMPTS) throw err;
        log(`bosun up did not come up (attempt ${attempt} of ${UP_ATTEMPTS}); trying again: ${String(err).split('\n').filter((l) => /did not|not ready|never/.test(l)).join(' ') || String(err).slice(0, 200)}`);
        for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
      }
    }
  }

  private static async startOnce(dir: string, nodes: number, env: NodeJS.ProcessEnv): Promise<UpCluster> {
    const up = startUp(['--dir', dir, '--ports', 'free', '--nodes', String(nodes), '--start-timeout', String(START_TIMEOUT_S)], { ...process.env, ...env });
    try {
      const out = await up.waitFor(/Press Ctrl-C/, UP_TIMEOUT_MS);
      const members = new Map([...out.matchAll(/(store-\d+): starting \(client https?:\/\/([\d.]+:\d+)/g)].map((m) => [m[1]!, m[2]!]));
      const agents = new Map([...out.matchAll(/(node-\d+): node agent started \(.*?status API gRPC ([\d.]+:\d+)/g)].map((m) => [m[1]!, m[2]!]));
      const apiservers = new Map([...out.matchAll(/(apiserver-\d+): serving the API on \S+ and ([\d.]+:\d+) \(gRPC\)/g)].map((m) => [m[1]!, m[2]!]));
      if (members.size === 0 || agents.size !== nodes || apiservers.size === 0) throw new Error(`bosun up printed ${members.size} store members and ${agents.size} node agents:\n${out}`);
      const client = grpcClientFor(serviceConnection(path.join(dir, 'kubeconfig')), CHAOS_CALL_TIMEOUT_MS);
      const etcd = etcdctlEnvFromUp(out);
      const storeTls = etcd.ETCDCTL_CACERT
        ? { ca: fs.readFileSync(etcd.ETCDCTL_CACERT), cert: fs.readFileSync(etcd.ETCDCTL_CERT!), key: fs.readFileSync(etcd.ETCDCTL_KEY!) }
        : undefined;
      return new UpCluster(dir, up, members, agents, apiservers, client, storeTls);
    } catch (err) {
      up.killAll();
      await up.exited;
      throw err;
    }
  }

  /** `bosun up`'s output so far. */
  output(): string {
    return this.up.output();
  }

  /** The current pid of supervised component `name` (store-1, apiserver-2, node-1, proxy, …). */
  pid(name: string): number | undefined {
    try {
      const pid = Number(fs.readFileSync(path.join(this.dir, PID_DIR, `${name}.pid`), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Sends `signal` to component `name`; throws when it has no pid. */
  signal(name: string, signal: NodeJS.Signals): number {
    const pid = this.pid(name);
    if (pid === undefined) throw new Error(`chaos: no pid file for ${name} in ${path.join(this.dir, PID_DIR)}`);
    process.kill(pid, signal);
    return pid;
  }

  /** Whether `pid` is a live process. */
  static alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Whether component `name` serves again after a restart: a store member answers its status, an
   * apiserver accepts connections on its gRPC port; other components count as serving once running.
   */
  async serving(name: string): Promise<boolean> {
    const member = this.storeMembers.get(name);
    if (member) return memberStatus(member, MEMBER_STATUS_TIMEOUT_MS, this.storeTls).then(() => true, () => false);
    const api = this.apiservers.get(name);
    if (!api) return true;
    const [host, port] = api.split(':');
    return new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port: Number(port) });
      socket.setTimeout(MEMBER_STATUS_TIMEOUT_MS);
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      socket.once('timeout', () => done(false));
    });
  }

  /** The store member the reachable members name as leader (undefined while none does). */
  async storeLeader(): Promise<string | undefined> {
    for (const [name, endpoint] of this.storeMembers) {
      const s = await memberStatus(endpoint, MEMBER_STATUS_TIMEOUT_MS, this.storeTls).catch(() => undefined);
      if (!s || !s.leader) continue;
      for (const [other, otherEndpoint] of this.storeMembers) {
        const o = other === name ? s : await memberStatus(otherEndpoint, MEMBER_STATUS_TIMEOUT_MS, this.storeTls).catch(() => undefined);
        if (o?.header?.memberId === s.leader) return other;
      }
    }
    return undefined;
  }

  /** The holder of a leader Lease in kube-system (the components' identities are their names). */
  async leaseHolder(lease: LeaderLease): Promise<string | undefined> {
    const l = await this.client.resource<Lease>(RESOURCES.leases).get('kube-system', lease).catch(() => undefined);
    return l?.spec?.holderIdentity ?? undefined;
  }

  /** What node `node`'s agent reports of its runtime: pods and containers as last listed. */
  async nodeStatus(node: string): Promise<NodeInfo> {
    const endpoint = this.nodeAgents.get(node);
    if (!endpoint) throw new Error(`chaos: no node agent ${node}`);
    // `bosun up` serves every status API over TLS with a certificate of the cluster CA.
    const res = await callStatus(NodeAgentStatusClient, endpoint, { node: '' }, { caCert: fs.readFileSync(path.join(this.dir, 'pki', 'ca.crt'), 'utf8') });
    const info = res.nodes.find((n) => n.node === node);
    if (!info) throw new Error(`chaos: ${node}'s agent does not report ${node}`);
    return info;
  }

  /** Stops the cluster as Ctrl-C would (SIGTERM), killing its process group if it does not exit in time. */
  async stop(): Promise<void> {
    this.client.close();
    // A paused node agent could not stop: let every paused component run again first.
    for (const name of this.nodeAgents.keys()) {
      const pid = this.pid(name);
      if (pid !== undefined && UpCluster.alive(pid)) process.kill(pid, 'SIGCONT');
    }
    if (this.up.child.exitCode === null) this.up.child.kill('SIGTERM');
    const timer = setTimeout(() => this.up.killAll(), STOP_TIMEOUT_MS);
    await this.up.exited;
    clearTimeout(timer);
  }
}
