/** Metrics for every Bosun component: the registry, the /metrics endpoint, shared metric families. */
export { newMetricsRegistry, sharedMetric, Registry, type MetricsRegistryOptions } from './registry';
export { MetricsServer, METRICS_PATH, HEALTHZ_PATH } from './metrics-server';
export { trackLeadership, LEADER_ELECTION_MASTER_STATUS } from './leader-election-metrics';
export { workQueueMetrics, WORK_QUEUE_DURATION_BUCKETS_SECONDS, type WorkQueueMetrics } from './work-queue-metrics';
export { sampleValue } from './exposition';
