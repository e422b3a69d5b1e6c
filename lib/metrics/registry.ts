/**
 * The metrics registry of a Bosun process (prom-client is the one way every component exposes
 * metrics): one Registry per component, with the standard process metrics under Kubernetes'
 * names (`process_cpu_seconds_total`, `process_resident_memory_bytes`, … with no prefix, as
 * Kubernetes components show them) plus Node's own (`nodejs_*`).
 */
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';

export { Registry };

/** Options of {@link newMetricsRegistry}. */
export interface MetricsRegistryOptions {
  /** Collect the process and Node.js runtime metrics (default true; tests may turn them off). */
  readonly processMetrics?: boolean;
}

/** A fresh registry for one component (several may live in one process, e.g. in tests). */
export function newMetricsRegistry(opts: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The metric `name` of `registry`, made by `create` on first use: metric families shared by
 * several parts of one component (every leader elector, every work queue) are registered once.
 */
export function sharedMetric<M extends Metric<string>>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
