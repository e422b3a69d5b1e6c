/**
 * client-go's work queue metrics, labelled by queue `name`, for the shared controller runner:
 * `workqueue_depth`, `workqueue_adds_total`, `workqueue_retries_total`,
 * `workqueue_queue_duration_seconds` (wait from add to get) and
 * `workqueue_work_duration_seconds` (processing time). The families are registered once per
 * registry; each queue takes its labelled handle with {@link workQueueMetrics}.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { sharedMetric } from './registry';

/** Buckets of both duration histograms, seconds: 1 µs to 10 s in powers of ten (client-go's). */
export const WORK_QUEUE_DURATION_BUCKETS_SECONDS: readonly number[] = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10];

/** What a work queue reports (one queue's view of the families). */
export interface WorkQueueMetrics {
  /** A key was added (whether or not it was already queued). */
  added(): void;
  /** The number of keys waiting now. */
  depth(n: number): void;
  /** A key was re-added with rate limiting (a retry). */
  retried(): void;
  /** A key waited `seconds` from add to get. */
  waited(seconds: number): void;
  /** A key was processed in `seconds`. */
  worked(seconds: number): void;
}

/** The metrics of the queue `name` in `registry`. */
export function workQueueMetrics(registry: Registry, name: string): WorkQueueMetrics {
  const labelNames = ['name'] as const;
  const registers = [registry];
  const depth = sharedMetric(registry, 'workqueue_depth', () => new Gauge({ name: 'workqueue_depth', help: 'Keys waiting in the work queue', labelNames, registers }));
  const adds = sharedMetric(registry, 'workqueue_adds_total', () => new Counter({ name: 'workqueue_adds_total', help: 'Keys added to the work queue', labelNames, registers }));
  const retries = sharedMetric(registry, 'workqueue_retries_total', () => new Counter({ name: 'workqueue_retries_total', help: 'Keys re-added after a failure (rate limited)', labelNames, registers }));
  const histogram = (metric: string, help: string) =>
    sharedMetric(registry, metric, () => new Histogram({ name: metric, help, labelNames, registers, buckets: [...WORK_QUEUE_DURATION_BUCKETS_SECONDS] }));
  const queued = histogram('workqueue_queue_duration_seconds', 'Seconds a key waited in the work queue before a worker took it');
  const work = histogram('workqueue_work_duration_seconds', 'Seconds a worker spent on one key');
  const labels = { name };
  return {
    added: () => adds.inc(labels),
    depth: (n) => depth.set(labels, n),
    retried: () => retries.inc(labels),
    waited: (s) => queued.observe(labels, s),
    worked: (s) => work.observe(labels, s),
  };
}
