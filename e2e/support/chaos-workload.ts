import { Compare_CompareResult, Compare_CompareTarget } from '../../gen/etcd/rpc';
import { IndeterminateError } from '../../store/client/client-errors';
import type { StoreClientTls } from '../../store/client/endpoint';
import { StoreClient } from '../../store/client/store-client';
import { History, kvOp } from './history';
import { checkLinearizable, CheckResult } from './linearizability';

/** How a chaos test reaches and hurts the cluster under test (local processes or containers). */
export interface ClusterControl {
  /** Client endpoints ("host:port"), one per member, in member order. */
  readonly endpoints: readonly string[];
  /** TLS towards the members (their CA, a client certificate); plain text when absent. */
  readonly tls?: StoreClientTls;
  /** Crashes member i (SIGKILL / docker kill) and waits until it is gone. */
  kill(i: number): Promise<void>;
  /** Starts member i again from its data. */
  start(i: number): Promise<void>;
  /** Index of the member that leads now, if one does. */
  leaderIndex(): Promise<number | undefined>;
}

/** One step of a fault schedule, run after the given pause. */
export interface FaultStep {
  afterMs: number;
  action: 'kill-leader' | 'kill-follower' | 'restart-killed';
}

/** The schedule the store issue asks for: kill the leader, then a follower, then restart them. */
export const KILL_LEADER_THEN_FOLLOWER: readonly FaultStep[] = [
  { afterMs: 1500, action: 'kill-leader' },
  { afterMs: 2500, action: 'kill-follower' },
  { afterMs: 2000, action: 'restart-killed' },
  { afterMs: 2500, action: 'kill-leader' },
  { afterMs: 1500, action: 'restart-killed' },
];

export interface WorkloadOptions {
  /** Concurrent clients, each with its own connection and a copy of the endpoint list. */
  clients: number;
  /** Contended register keys (reads, writes and compare-and-swaps race on these). */
  keys: number;
  /** Upper bound on operations per client. */
  maxOpsPerClient: number;
  /** The workload stops at this time even if ops remain. */
  maxDurationMs: number;
  /** Budget of one client request, retries included. */
  requestTimeoutMs: number;
  faults: readonly FaultStep[];
  /** Key prefix, so runs never see each other's keys. */
  prefix: string;
  log?: (line: string) => void;
}

/** What a chaos run observed. */
export interface WorkloadReport {
  history: History;
  /** Unique-key writes the cluster acknowledged, all of which must be readable afterwards. */
  acknowledged: string[];
  /** Acknowledged unique-key writes missing from the final read (must be empty). */
  lost: string[];
  counts: { ok: number; failed: number; unknown: number };
  faultsRun: string[];
  linearizability: CheckResult;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the fault schedule against `cluster` until it ends or `stop` says so. */
async function runFaults(cluster: ClusterControl, steps: readonly FaultStep[], stop: () => boolean, log: (s: string) => void): Promise<string[]> {
  const killed: number[] = [];
  const done: string[] = [];
  for (const step of steps) {
    await sleep(step.afterMs);
    if (stop()) break;
    // Right after a restart the cluster may still be electing: give it a few seconds.
    let leader = await cluster.leaderIndex();
    for (let i = 0; leader === undefined && i < 20; i++) {
      await sleep(250);
      leader = await cluster.leaderIndex();
    }
    if (step.action === 'restart-killed') {
      for (const i of killed.splice(0)) await cluster.start(i);
      done.push('restart-killed');
    } else {
      const alive = cluster.endpoints.map((_, i) => i).filter((i) => !killed.includes(i));
      const target = step.action === 'kill-leader' ? leader : alive.find((i) => i !== leader);
      if (target === undefined || killed.includes(target)) {
        done.push(`${step.action}: no target (leader ${leader})`);
        continue;
      }
      await cluster.kill(target);
      killed.push(target);
      done.push(`${step.action} #${target}`);
    }
    log(`fault: ${done[done.length - 1]}`);
  }
  for (const i of killed) await cluster.start(i);
  return done;
}

/**
 * A bounded random workload of puts, gets and compare-and-swaps over a few contended keys,
 * plus writes of unique keys, run by several clients while members are killed and restarted.
 * Records every operation in a History, then checks it for linearizability and checks that
 * every acknowledged unique write is still there.
 */
export async function runChaosWorkload(cluster: ClusterControl, opts: WorkloadOptions): Promise<WorkloadReport> {
  const log = opts.log ?? (() => undefined);
  const history = new History();
  const acknowledged: string[] = [];
  const counts = { ok: 0, failed: 0, unknown: 0 };
  const deadline = Date.now() + opts.maxDurationMs;
  let faultsOver = false;
  const stop = () => Date.now() > deadline;

  const faults = runFaults(cluster, opts.faults, stop, log).finally(() => {
    faultsOver = true;
  });

  const client = async (c: number): Promise<void> => {
    const store = new StoreClient({ endpoints: [...cluster.endpoints], requestTimeoutMs: opts.requestTimeoutMs, dialTimeoutMs: 500, tls: cluster.tls });
    let seq = 0;
    try {
      // Keep going while faults run (so they hit a busy cluster), up to the op and time bounds.
      while (seq < opts.maxOpsPerClient && !stop() && !(faultsOver && seq > opts.maxOpsPerClient / 4)) {
        seq++;
        const key = `${opts.prefix}reg/${Math.floor(Math.random() * opts.keys)}`;
        const value = `c${c}-${seq}`;
        const dice = Math.random();
        if (dice < 0.15) {
          const unique = `${opts.prefix}uniq/c${c}/${seq}`;
          try {
            await store.put(unique, 'x');
            acknowledged.push(unique);
          } catch {
            // unacknowledged: it may or may not exist afterwards
          }
          continue;
        }
        const op = dice < 0.5 ? kvOp.get(key) : dice < 0.8 ? kvOp.put(key, value) : kvOp.cas(key, Math.random() < 0.3 ? null : `c${c}-${seq - 1}`, value);
        const h = history.invoke(c, op);
        try {
          if (op.kind === 'get') {
            const res = await store.get(key);
            history.ok(h, res.kvs.length > 0 ? res.kvs[0].value.toString() : null);
          } else if (op.kind === 'put') {
            await store.put(key, value);
            history.ok(h);
          } else if (op.kind === 'cas') {
            const compare =
              op.expected === null
                ? { target: Compare_CompareTarget.CREATE, result: Compare_CompareResult.EQUAL, createRevision: 0 }
                : { target: Compare_CompareTarget.VALUE, result: Compare_CompareResult.EQUAL, value: Buffer.from(op.expected) };
            const res = await store.txn({
              compare: [{ key: Buffer.from(key), rangeEnd: Buffer.alloc(0), ...compare }],
              success: [{ requestPut: { key: Buffer.from(key), value: Buffer.from(value), lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false } }],
              failure: [],
            });
            history.ok(h, res.succeeded);
          }
          counts.ok++;
        } catch (err) {
          if (err instanceof IndeterminateError) {
            history.unknown(h, err);
            counts.unknown++;
          } else {
            history.fail(h, err);
            counts.failed++;
          }
        }
      }
    } finally {
      store.close();
    }
  };

  await Promise.all(Array.from({ length: opts.clients }, (_, c) => client(c)));
  const faultsRun = await faults;

  // Every acknowledged unique write must be readable (through a linearizable read) now.
  const reader = new StoreClient({ endpoints: [...cluster.endpoints], requestTimeoutMs: 15_000, tls: cluster.tls });
  let present = new Set<string>();
  try {
    const res = await reader.get(`${opts.prefix}uniq/`, { prefix: true, keysOnly: true });
    present = new Set(res.kvs.map((kv) => kv.key.toString()));
  } finally {
    reader.close();
  }
  const lost = acknowledged.filter((k) => !present.has(k));
  const linearizability = checkLinearizable(history, { timeoutMs: 60_000 });
  return { history, acknowledged, lost, counts, faultsRun, linearizability };
}
