/**
 * kube-scheduler's main metrics, with Kubernetes' names, labels and buckets:
 * - `scheduler_schedule_attempts_total{result,profile}`: attempts by result — `scheduled` (the
 *   binding succeeded), `unschedulable` (no node fits), `error` (the binding failed);
 * - `scheduler_scheduling_attempt_duration_seconds{result,profile}`: from the start of the
 *   scheduling cycle to its result (for `scheduled`, to the end of the binding);
 * - `scheduler_pending_pods{queue}`: pods waiting in `active`, `backoff`, `unschedulable` and
 *   `gated` (read at scrape time; 0 while this replica does not lead);
 * - `scheduler_preemption_attempts_total` and `scheduler_preemption_victims` (victims chosen
 *   per successful preemption).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The result label of an attempt. */
export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';

/** Pods waiting, per queue (the `queue` label of scheduler_pending_pods). */
export interface PendingPods {
  readonly active: number;
  readonly backoff: number;
  readonly unschedulable: number;
  readonly gated: number;
}

/** What the scheduling loop reports (the Scheduler takes it optionally; tests may fake it). */
export interface SchedulingMetricsSink {
  /** One scheduling attempt ended with `result` after `seconds`. */
  attempt(result: AttemptResult, seconds: number): void;
  /** Preemption ran for an unschedulable pod; `victims` is set when it chose a node (how many pods it evicts). */
  preemption(victims: number | undefined): void;
}

/** kube-scheduler's buckets: 1 ms doubling 15 times (to ~16 s). */
export const ATTEMPT_DURATION_BUCKETS_SECONDS: readonly number[] = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);
/** kube-scheduler's buckets: 1 victim doubling 7 times (to 64). */
export const PREEMPTION_VICTIMS_BUCKETS: readonly number[] = Array.from({ length: 7 }, (_, i) => 2 ** i);

const QUEUES: readonly (keyof PendingPods)[] = ['active', 'backoff', 'unschedulable', 'gated'];

/** The scheduler's metrics in a component registry, for the profile (scheduler name) `profile`. */
export class SchedulerMetrics implements SchedulingMetricsSink {
  private readonly attempts: Counter<'result' | 'profile'>;
  private readonly durations: Histogram<'result' | 'profile'>;
  private readonly preemptionAttempts: Counter;
  private readonly victims: Histogram;

  /** `pending` is read at every scrape (undefined: not scheduling now, all queues 0). */
  constructor(
    registry: Registry,
    private readonly profile: string,
    pending: () => PendingPods | undefined,
  ) {
    const registers = [registry];
    this.attempts = new Counter({ name: 'scheduler_schedule_attempts_total', help: 'Scheduling attempts by result', labelNames: ['result', 'profile'], registers });
    this.durations = new Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Seconds from the start of a scheduling attempt to its result (binding included)',
      labelNames: ['result', 'profile'],
      buckets: [...ATTEMPT_DURATION_BUCKETS_SECONDS],
      registers,
    });
    new Gauge({
      name: 'scheduler_pending_pods',
      help: 'Pods waiting to be scheduled, by queue',
      labelNames: ['queue'],
      registers,
      collect() {
        const now = pending();
        for (const queue of QUEUES) this.set({ queue }, now?.[queue] ?? 0);
      },
    });
    this.preemptionAttempts = new Counter({ name: 'scheduler_preemption_attempts_total', help: 'Preemptions tried for pods that fit nowhere', registers });
    this.victims = new Histogram({ name: 'scheduler_preemption_victims', help: 'Pods chosen for eviction per successful preemption', buckets: [...PREEMPTION_VICTIMS_BUCKETS], registers });
    // Every result shows from the first scrape, at 0, as Prometheus rate() expects.
    for (const result of ['scheduled', 'unschedulable', 'error'] as const) this.attempts.inc({ result, profile }, 0);
  }

  attempt(result: AttemptResult, seconds: number): void {
    const labels = { result, profile: this.profile };
    this.attempts.inc(labels);
    this.durations.observe(labels, seconds);
  }

  preemption(victims: number | undefined): void {
    this.preemptionAttempts.inc();
    if (victims !== undefined) this.victims.observe(victims);
  }
}
