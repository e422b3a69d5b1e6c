/**
 * The nemesis of a chaos run: kill -9 of one component at a time, then several together — the
 * store leader, a store follower, an apiserver, the scheduler leader, the controller-manager
 * leader, a node agent, the proxy — and a SIGSTOP of a node agent until its Node goes Unknown
 * (past the controller-manager's node grace period), then SIGCONT. `bosun up`'s supervisor
 * restarts what was killed; each fault waits until every victim runs again under a new pid, the
 * store members and apiservers among them serving again (or the paused node is Ready again):
 * that is its heal.
 */
import { podCondition } from '../../lib/api/pod-status';
import { RESOURCES } from '../../lib/api/resources';
import type { Node } from '../../lib/api/types/core';
import { UpCluster } from './up-cluster';

/** How long a killed component may take to run and serve again (the supervisor backs off 1 s, 2 s, 4 s …; an apiserver loads its caches). */
const RESTART_TIMEOUT_MS = 90_000;
/** How long a node stays paused at most waiting to be marked Unknown (past the grace period); and may take to be Ready again. */
const NODE_STATE_TIMEOUT_MS = 40_000;
const POLL_MS = 200;
/** How long a fault may wait for the leader it hits to exist. */
const LEADER_LOOKUP_TIMEOUT_MS = 30_000;

/** One fault: what it hits, resolved when it runs (leaders move). */
export interface Fault {
  readonly name: string;
  /** The components to kill -9, or the one node agent to pause. */
  targets(cluster: UpCluster): Promise<string[]>;
  readonly pause?: boolean;
}

/** The first answer of `lookup` that names a component, asked again while there is none (a leader is being elected, the API is restarting). */
async function defined(name: string, lookup: () => Promise<string | undefined>): Promise<string> {
  let found: string | undefined;
  if (!(await pollUntil(LEADER_LOOKUP_TIMEOUT_MS, async () => (found = await lookup()) !== undefined))) throw new Error(`chaos: no ${name} to hit within ${LEADER_LOOKUP_TIMEOUT_MS / 1000} s`);
  return found!;
}

const storeLeader = (c: UpCluster) => defined('store leader', () => c.storeLeader());
const storeFollower = async (c: UpCluster) => {
  const leader = await storeLeader(c);
  return [...c.storeMembers.keys()].find((m) => m !== leader)!;
};
const leaseHolder = (c: UpCluster, lease: 'kube-scheduler' | 'kube-controller-manager') => defined(`${lease} leader`, () => c.leaseHolder(lease));

/** The one-at-a-time faults, then the combinations; a run cycles through them. */
export const FAULTS: readonly Fault[] = [
  { name: 'kill store leader', targets: async (c) => [await storeLeader(c)] },
  { name: 'kill store follower', targets: async (c) => [await storeFollower(c)] },
  { name: 'kill apiserver-1', targets: async () => ['apiserver-1'] },
  { name: 'kill scheduler leader', targets: async (c) => [await leaseHolder(c, 'kube-scheduler')] },
  { name: 'kill controller-manager leader', targets: async (c) => [await leaseHolder(c, 'kube-controller-manager')] },
  { name: 'kill node agent node-1', targets: async () => ['node-1'] },
  { name: 'kill proxy', targets: async () => ['proxy'] },
  { name: 'pause node-2 past its grace period', targets: async () => ['node-2'], pause: true },
  { name: 'kill store leader + apiserver-2', targets: async (c) => [await storeLeader(c), 'apiserver-2'] },
  { name: 'kill scheduler leader + controller-manager leader + node-2', targets: async (c) => [await leaseHolder(c, 'kube-scheduler'), await leaseHolder(c, 'kube-controller-manager'), 'node-2'] },
  { name: 'kill store follower + apiserver-1 + node-1 + proxy', targets: async (c) => [await storeFollower(c), 'apiserver-1', 'node-1', 'proxy'] },
];

/** Polls `check` until it is true (resolves true) or `timeoutMs` pass (resolves false). */
async function pollUntil(timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return true;
}

/** Polls `check` until it is true; throws `what` after `timeoutMs`. */
async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  if (!(await pollUntil(timeoutMs, check))) throw new Error(`chaos: ${what} within ${timeoutMs / 1000} s`);
}

/** Node `name`'s Ready condition status ('True', 'False', 'Unknown'), undefined when unreadable. */
async function nodeReady(cluster: UpCluster, name: string): Promise<string | undefined> {
  const node = await cluster.client.resource<Node>(RESOURCES.nodes).get(undefined, name).catch(() => undefined);
  return node ? podCondition(node, 'Ready')?.status : undefined;
}

/** Runs `fault` and waits for its heal; returns a line for the report. */
export async function runFault(cluster: UpCluster, fault: Fault): Promise<string> {
  const targets = await fault.targets(cluster);
  const started = Date.now();
  let note = '';
  if (fault.pause) {
    const node = targets[0]!;
    cluster.signal(node, 'SIGSTOP');
    try {
      // The pause lasts past the grace period either way; whether the node lifecycle controller
      // noticed in time (a leader that keeps changing restarts its clock) is reported, not required.
      const unknown = await pollUntil(NODE_STATE_TIMEOUT_MS, async () => (await nodeReady(cluster, node)) === 'Unknown');
      note = unknown ? `, marked Unknown after ${((Date.now() - started) / 1000).toFixed(1)} s` : ', NOT marked Unknown while paused';
    } finally {
      cluster.signal(node, 'SIGCONT');
    }
    await waitUntil(`${node} was not Ready again after SIGCONT`, NODE_STATE_TIMEOUT_MS, async () => (await nodeReady(cluster, node)) === 'True');
  } else {
    const old = new Map(targets.map((t) => [t, cluster.signal(t, 'SIGKILL')]));
    const restarted = (t: string) => {
      const pid = cluster.pid(t);
      return pid !== undefined && pid !== old.get(t) && UpCluster.alive(pid);
    };
    await waitUntil(`${targets.join(', ')} not restarted and serving`, RESTART_TIMEOUT_MS, async () => {
      for (const t of targets) if (!restarted(t) || !(await cluster.serving(t))) return false;
      return true;
    });
  }
  return `${fault.name} (${targets.join(', ')}): healed in ${((Date.now() - started) / 1000).toFixed(1)} s${note}`;
}
