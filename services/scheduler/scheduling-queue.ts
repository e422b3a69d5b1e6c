/**
 * The scheduling queue (kube-scheduler's PriorityQueue):
 * - activeQ: pods to schedule now, highest priority first, then oldest;
 * - backoffQ: pods that failed, waiting out their backoff (1 s doubling per attempt up to 10 s);
 * - unschedulable: pods no node fits, parked until a cluster event that could help them (a node
 *   added or changed, an assigned pod deleted, …) or for at most 5 minutes.
 *
 * Contract:
 * - a pod is in at most one of activeQ, backoffQ, unschedulable, or in flight (popped and not
 *   yet done or requeued);
 * - `pop` hands out activeQ's top and starts a scheduling cycle; the scheduler then calls
 *   `done` (placed or dropped), `requeueUnschedulable` or `requeueBackoff`;
 * - a cluster event that arrived while a pod was in flight sends that pod, when it comes back
 *   unschedulable, to backoffQ instead of the unschedulable set, so the event is not missed;
 * - a pod deleted while in flight is not requeued; one updated while in flight is requeued in
 *   its newest version.
 * The clock is injected; `start` runs the periodic flushes (backoffQ every second, leftover
 * unschedulable pods every 30 s).
 */
import type { Clock, Timer } from '../../lib/client/clock';
import type { PodInfo } from './algorithm/pod-info';
import { KeyedHeap } from './keyed-heap';

/** Backoff after the first failed attempt, ms (kube: podInitialBackoffDuration 1 s). */
export const POD_INITIAL_BACKOFF_MS = 1_000;
/** Cap of the backoff, ms (kube: podMaxBackoffDuration 10 s). */
export const POD_MAX_BACKOFF_MS = 10_000;
/** Longest a pod stays unschedulable without another try, ms (kube: podMaxInUnschedulablePodsDuration 5 min). */
export const POD_MAX_IN_UNSCHEDULABLE_MS = 5 * 60_000;
/** Period of moving pods whose backoff is over to activeQ, ms (kube: 1 s). */
export const BACKOFF_FLUSH_INTERVAL_MS = 1_000;
/** Period of moving leftover unschedulable pods, ms (kube: 30 s). */
export const UNSCHEDULABLE_FLUSH_INTERVAL_MS = 30_000;

/** A pod in the queue with its scheduling history. */
export interface QueuedPod {
  readonly info: PodInfo;
  /** Scheduling attempts so far (1 while the first attempt is in flight). */
  readonly attempts: number;
  /** When it was last requeued after a failure, epoch ms. */
  readonly failedAtMs: number;
  /** The plugins that rejected it last time (empty: anything may help). */
  readonly unschedulablePlugins: ReadonlySet<string>;
  /** The scheduling cycle it was last popped in. */
  readonly cycle: number;
}

/**
 * What changed in the cluster, and the plugins whose rejections it may lift ('all': any).
 * Pods rejected only by other plugins stay parked.
 */
export interface ClusterEvent {
  readonly name: string;
  readonly helps: ReadonlySet<string> | 'all';
}

/** Queue lengths (status output). */
export interface QueueLengths {
  readonly active: number;
  readonly backoff: number;
  readonly unschedulable: number;
  readonly inFlight: number;
}

function activeLess(a: QueuedPod, b: QueuedPod): boolean {
  if (a.info.priority !== b.info.priority) return a.info.priority > b.info.priority;
  if (a.info.creationMs !== b.info.creationMs) return a.info.creationMs < b.info.creationMs;
  return a.info.key < b.info.key;
}

export class SchedulingQueue {
  private readonly active = new KeyedHeap<QueuedPod>((q) => q.info.key, activeLess);
  private readonly backoff: KeyedHeap<QueuedPod>;
  private readonly unschedulable = new Map<string, QueuedPod>();
  private readonly inFlight = new Map<string, QueuedPod>();
  private schedulingCycle = 0;
  /** The cycle during which the last cluster event arrived. */
  private moveRequestCycle = -1;
  private waiters: (() => void)[] = [];
  private timers: Timer[] = [];
  private closed = false;

  constructor(private readonly clock: Clock) {
    this.backoff = new KeyedHeap<QueuedPod>((q) => q.info.key, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  /** Starts the periodic flushes. */
  start(): void {
    const every = (ms: number, fn: () => void) => {
      const tick = () => {
        if (this.closed) return;
        fn();
        this.timers.push(this.clock.setTimer(ms, tick));
      };
      this.timers.push(this.clock.setTimer(ms, tick));
    };
    every(BACKOFF_FLUSH_INTERVAL_MS, () => this.flushBackoffCompleted());
    every(UNSCHEDULABLE_FLUSH_INTERVAL_MS, () => this.flushUnschedulableLeftover());
  }

  /** Stops the flushes and wakes every waiter. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.wake();
  }

  /** A new pending pod (or a newer version of a known one). */
  add(info: PodInfo): void {
    if (this.update(info)) return;
    this.active.push({ info, attempts: 0, failedAtMs: 0, unschedulablePlugins: new Set(), cycle: -1 });
    this.wake();
  }

  /**
   * A newer version of a queued pod; returns false when the pod is unknown. A parked pod whose
   * spec or labels changed gets another try (after its backoff); status-only changes (the
   * scheduler's own condition writes) leave it parked.
   */
  update(info: PodInfo): boolean {
    const key = info.key;
    const flying = this.inFlight.get(key);
    if (flying) {
      this.inFlight.set(key, { ...flying, info });
      return true;
    }
    for (const heap of [this.active, this.backoff]) {
      const q = heap.get(key);
      if (q) {
        heap.push({ ...q, info });
        return true;
      }
    }
    const parked = this.unschedulable.get(key);
    if (!parked) return false;
    const updated = { ...parked, info };
    if (schedulingInputChanged(parked.info, info)) {
      this.unschedulable.delete(key);
      this.moveToActiveOrBackoff(updated);
    } else {
      this.unschedulable.set(key, updated);
    }
    return true;
  }

  /** Forgets the pod `key` (deleted, or bound by someone). */
  delete(key: string): void {
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
  }

  /** Whether the pod `key` is queued or in flight. */
  has(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key) || this.inFlight.has(key);
  }

  /** The next pod to schedule (starting a scheduling cycle), or undefined when activeQ is empty. */
  pop(): QueuedPod | undefined {
    const q = this.active.pop();
    if (!q) return undefined;
    this.schedulingCycle++;
    const flying = { ...q, attempts: q.attempts + 1, cycle: this.schedulingCycle };
    this.inFlight.set(q.info.key, flying);
    return flying;
  }

  /** Resolves once activeQ has a pod (or the queue is closed). */
  waitForPod(): Promise<void> {
    if (this.active.size > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The pod `key` is placed or dropped: it leaves the queue. */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * No node fits the pod: park it until an event could help — or straight to backoffQ when an
   * event arrived while it was being scheduled. Ignored when it was deleted meanwhile.
   */
  requeueUnschedulable(key: string, plugins: ReadonlySet<string>): void {
    const q = this.takeInFlight(key);
    if (!q) return;
    const failed = { ...q, failedAtMs: this.clock.now(), unschedulablePlugins: plugins };
    if (this.moveRequestCycle >= q.cycle) this.backoff.push(failed);
    else this.unschedulable.set(key, failed);
  }

  /** Scheduling or binding failed for another reason: retry after the backoff. */
  requeueBackoff(key: string): void {
    const q = this.takeInFlight(key);
    if (q) this.backoff.push({ ...q, failedAtMs: this.clock.now() });
  }

  /** Something changed in the cluster: parked pods it could help get another try. */
  onClusterEvent(event: ClusterEvent): void {
    this.moveRequestCycle = this.schedulingCycle;
    for (const [key, q] of this.unschedulable) {
      if (event.helps !== 'all' && q.unschedulablePlugins.size > 0 && ![...q.unschedulablePlugins].some((p) => (event.helps as ReadonlySet<string>).has(p))) continue;
      this.unschedulable.delete(key);
      this.moveToActiveOrBackoff(q);
    }
  }

  /** Moves pods whose backoff is over to activeQ. */
  flushBackoffCompleted(): void {
    const now = this.clock.now();
    let moved = false;
    for (let top = this.backoff.peek(); top && this.backoffExpiry(top) <= now; top = this.backoff.peek()) {
      this.backoff.pop();
      this.active.push(top);
      moved = true;
    }
    if (moved) this.wake();
  }

  /** Moves pods parked longer than POD_MAX_IN_UNSCHEDULABLE_MS. */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const [key, q] of this.unschedulable) {
      if (now - q.failedAtMs < POD_MAX_IN_UNSCHEDULABLE_MS) continue;
      this.unschedulable.delete(key);
      this.moveToActiveOrBackoff(q);
    }
  }

  lengths(): QueueLengths {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  /** Backoff of a pod after `attempts` failed attempts, ms. */
  static backoffMs(attempts: number): number {
    if (attempts <= 0) return 0;
    return Math.min(POD_MAX_BACKOFF_MS, POD_INITIAL_BACKOFF_MS * 2 ** Math.min(attempts - 1, 30));
  }

  private backoffExpiry(q: QueuedPod): number {
    return q.failedAtMs + SchedulingQueue.backoffMs(q.attempts);
  }

  private moveToActiveOrBackoff(q: QueuedPod): void {
    if (this.backoffExpiry(q) > this.clock.now()) this.backoff.push(q);
    else {
      this.active.push(q);
      this.wake();
    }
  }

  private takeInFlight(key: string): QueuedPod | undefined {
    const q = this.inFlight.get(key);
    this.inFlight.delete(key);
    return q;
  }

  private wake(): void {
    if (this.active.size === 0 && !this.closed) return;
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Whether an update may change where the pod fits (spec or labels), as opposed to its status. */
function schedulingInputChanged(a: PodInfo, b: PodInfo): boolean {
  return JSON.stringify(a.pod.spec) !== JSON.stringify(b.pod.spec) || JSON.stringify(a.labels) !== JSON.stringify(b.labels);
}
