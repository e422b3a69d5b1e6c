import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as storeClusterModule from '../../lib/launcher/store-cluster';
import { startEtcdCluster } from '../../store/client/test-etcd';
import { findLeader } from './etcd-api';
import { sleep } from './measure';

/**
 * The two systems under test behind one shape: a 3-member cluster on loopback whose members
 * can be found, killed by pid and restarted. Bosun runs through LocalStoreCluster (real
 * `bosun store` processes), etcd 3.4 through the test launcher in store/client/test-etcd.ts.
 */

/** How long restart() waits for the cluster to be whole again. */
export const REJOIN_TIMEOUT_MS = 30_000;
/** How long leader() keeps asking before giving up. */
const LEADER_WAIT_MS = 10_000;

/** A running cluster under test. */
export interface BenchCluster {
  /** "Bosun" or "etcd 3.4". */
  readonly system: string;
  /** "127.0.0.1:PORT" per member, in member order. */
  readonly endpoints: readonly string[];
  /** The member processes' pids (undefined while a member is down). */
  pids(): (number | undefined)[];
  /** Index of the current leader; throws if none is found within LEADER_WAIT_MS. */
  leader(): Promise<number>;
  /** kill -9 of member i, resolved once the process has exited. */
  kill(i: number): Promise<void>;
  /** Starts member i again and resolves once the cluster is whole (every member answers, one leader). */
  restart(i: number): Promise<void>;
  /** Where the member logs are, for error messages. */
  readonly logDir: string;
  /** Snapshots taken so far, as the members' logs say (the most any member logged). */
  snapshotsTaken(): number;
  /** Stops every member by pid and removes the data (kept when keepData). */
  stop(keepData?: boolean): Promise<void>;
}

/** The log line each system writes when it takes a snapshot of its state. */
const BOSUN_SNAPSHOT_LINE = /"msg":"snapshot saved"/;
const ETCD_SNAPSHOT_LINE = /"msg":"triggering snapshot"/;

/** The most lines matching `line` in any `.log` file directly under `dir` (0 when none can be read). */
function maxLogLines(dir: string, line: RegExp): number {
  let most = 0;
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!name.endsWith('.log')) continue;
    try {
      const count = fs.readFileSync(path.join(dir, name), 'utf8').split('\n').filter((l) => line.test(l)).length;
      most = Math.max(most, count);
    } catch {
      // a log being rotated or removed counts as none
    }
  }
  return most;
}

/** Which systems the benchmark knows. */
export type SystemName = 'bosun' | 'etcd';

async function waitLeader(endpoints: readonly string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = await findLeader(endpoints);
    if (i >= 0) return i;
    if (Date.now() > deadline) throw new Error(`no member reports itself leader after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The project root (holding bin/ and dist/) this file was built into. */
const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Top-level entries of the project that snapshotBuild() leaves out (node_modules is linked instead). */
const NOT_COPIED = new Set(['node_modules', '.git', '.data', 'bench']);

/**
 * Copies the built project (bin/, dist/, proto/ and the rest of the tree, with node_modules
 * linked) into a fresh temporary folder and returns it, so members started during a run all
 * execute the same build even while someone rebuilds dist/ in the working tree. Remove it
 * when done.
 */
export function snapshotBuild(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-build-'));
  for (const entry of fs.readdirSync(PROJECT_ROOT)) {
    if (NOT_COPIED.has(entry)) continue;
    fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(root, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return root;
}

/**
 * Starts a 3-member Bosun store cluster. Members run `bin/bosun.js` of `buildRoot` (a
 * snapshotBuild() copy) or of this project; `memberEnv` is added to their environment (e.g.
 * NODE_OPTIONS for profiling).
 */
export async function startBosun(members: number, memberEnv: NodeJS.ProcessEnv = {}, buildRoot?: string): Promise<BenchCluster> {
  // The launcher runs the bin/bosun.js next to the dist/ it was loaded from.
  const { LocalStoreCluster } = (buildRoot
    ? require(path.join(buildRoot, 'dist', 'lib', 'launcher', 'store-cluster.js'))
    : storeClusterModule) as typeof storeClusterModule;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-store-'));
  // LocalStoreCluster hands process.env to its members at spawn time; set the extra variables
  // only while this cluster lives.
  const saved = new Map(Object.keys(memberEnv).map((k) => [k, process.env[k]]));
  Object.assign(process.env, memberEnv);
  const restoreEnv = (): void => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  const cluster = await LocalStoreCluster.create({ members, dir, insecure: true });
  let stopped = false;
  const stop = async (keepData = false): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await cluster.stop();
    restoreEnv();
    if (!keepData) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    cluster.startAll();
    await cluster.waitReady();
  } catch (err) {
    await stop(true);
    throw err;
  }
  return {
    system: 'Bosun',
    endpoints: cluster.endpoints,
    logDir: path.join(dir, 'logs'),
    snapshotsTaken: () => maxLogLines(path.join(dir, 'logs'), BOSUN_SNAPSHOT_LINE),
    pids: () => cluster.members.map((m) => (m.isRunning() ? m.pid : undefined)),
    leader: () => waitLeader(cluster.endpoints, LEADER_WAIT_MS),
    kill: (i) => cluster.members[i].kill('SIGKILL'),
    restart: async (i) => {
      cluster.members[i].start();
      await cluster.waitReady(() => undefined, REJOIN_TIMEOUT_MS);
    },
    stop,
  };
}

/** Starts a 3-member etcd 3.4 cluster with default settings (fsync on). */
export async function startEtcd(members: number): Promise<BenchCluster> {
  const cluster = await startEtcdCluster({ members });
  return {
    system: 'etcd 3.4',
    endpoints: cluster.endpoints,
    logDir: cluster.dir,
    snapshotsTaken: () => maxLogLines(cluster.dir, ETCD_SNAPSHOT_LINE),
    pids: () => cluster.members.map((m) => m.pid),
    leader: () => waitLeader(cluster.endpoints, LEADER_WAIT_MS),
    kill: (i) => cluster.members[i].kill('SIGKILL'),
    restart: async (i) => {
      await cluster.members[i].restart();
      await waitLeader(cluster.endpoints, REJOIN_TIMEOUT_MS);
    },
    stop: async () => cluster.stop(),
  };
}
