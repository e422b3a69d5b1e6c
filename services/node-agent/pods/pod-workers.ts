/**
 * One serialized worker per pod (the kubelet's podWorkers): `update(uid)` asks for a sync; a pod
 * is never synced twice at once — an update while a sync runs makes exactly one more sync after
 * it, which reads the newest state (only the newest desired state matters). A sync may ask to
 * be run again after a delay (back-off, deadlines); a failed sync is retried after
 * {@link SYNC_ERROR_RETRY_MS}. A worker ends when its sync reports the pod done.
 */
import type { Clock, Timer } from '../../../lib/client/clock';
import type { Logger } from '../../../lib/logger';
import { newPodWorkState, type PodWorkState } from './pod-sync-context';
import type { SyncOutcome } from './pod-sync';

/** Pause before a sync that threw is tried again, ms. */
export const SYNC_ERROR_RETRY_MS = 1_000;

interface Worker {
  state: PodWorkState;
  running: boolean;
  again: boolean;
  timer?: Timer;
  timerAt?: number;
}

export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  private stopped = false;

  constructor(
    private readonly syncPod: (state: PodWorkState) => Promise<SyncOutcome>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Asks for a sync of the pod `uid` (starting its worker when it has none). */
  update(uid: string): void {
    if (this.stopped) return;
    let w = this.workers.get(uid);
    if (!w) {
      w = { state: newPodWorkState(uid, this.clock.now()), running: false, again: false };
      this.workers.set(uid, w);
    }
    if (w.running) {
      w.again = true;
      return;
    }
    void this.run(uid, w);
  }

  /** The uids with a worker. */
  uids(): string[] {
    return [...this.workers.keys()];
  }

  /** What the worker of `uid` remembers (for the status API), if it has one. */
  stateOf(uid: string): PodWorkState | undefined {
    return this.workers.get(uid)?.state;
  }

  /** Stops all workers' timers; syncs in flight finish, nothing new starts. */
  stop(): void {
    this.stopped = true;
    for (const w of this.workers.values()) w.timer?.cancel();
  }

  private async run(uid: string, w: Worker): Promise<void> {
    w.running = true;
    w.again = false;
    w.timer?.cancel();
    w.timer = undefined;
    let outcome: SyncOutcome;
    try {
      outcome = await this.syncPod(w.state);
    } catch (err) {
      this.logger.warn({ podUid: uid, err: (err as Error).message }, 'pod sync failed; retrying');
      outcome = { requeueAfterMs: SYNC_ERROR_RETRY_MS };
    }
    w.running = false;
    if (this.stopped) return;
    if (outcome.done && !w.again) {
      this.workers.delete(uid);
      return;
    }
    if (w.again) {
      void this.run(uid, w);
      return;
    }
    if (outcome.requeueAfterMs !== undefined) this.after(uid, w, Math.max(0, outcome.requeueAfterMs));
  }

  private after(uid: string, w: Worker, ms: number): void {
    w.timer = this.clock.setTimer(ms, () => {
      w.timer = undefined;
      this.update(uid);
    });
  }
}
