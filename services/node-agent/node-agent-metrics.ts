/**
 * The node agent's metrics, with the kubelet's names: `kubelet_pod_start_duration_seconds` (from
 * the agent first seeing a pod to all its containers running), `kubelet_running_pods` and
 * `kubelet_running_containers{container_state}` (read at scrape time over every node the process
 * runs). One instance per process registry; several agents (--nodes) share it.
 */
import { Gauge, Histogram, type Registry } from 'prom-client';
import { sharedMetric } from '../../lib/metrics';

/** The kubelet's pod start buckets, seconds. */
export const POD_START_BUCKETS_SECONDS: readonly number[] = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];

/** Counts read at scrape time. */
export interface RunningCounts {
  pods: number;
  containers: Record<'running' | 'created' | 'exited' | 'unknown', number>;
}

export class NodeAgentMetrics {
  private readonly podStart: Histogram<string>;

  constructor(registry: Registry, counts: () => RunningCounts) {
    this.podStart = sharedMetric(registry, 'kubelet_pod_start_duration_seconds', () => new Histogram({ name: 'kubelet_pod_start_duration_seconds', help: 'Duration in seconds from the agent seeing a pod for the first time to the pod starting to run', buckets: [...POD_START_BUCKETS_SECONDS], registers: [registry] }));
    sharedMetric(registry, 'kubelet_running_pods', () => new Gauge({ name: 'kubelet_running_pods', help: 'Number of pods that have a running pod sandbox', registers: [registry], collect() { this.set(counts().pods); } }));
    sharedMetric(
      registry,
      'kubelet_running_containers',
      () =>
        new Gauge({
          name: 'kubelet_running_containers',
          help: 'Number of containers currently running',
          labelNames: ['container_state'],
          registers: [registry],
          collect() {
            for (const [state, n] of Object.entries(counts().containers)) this.set({ container_state: state }, n);
          },
        }),
    );
  }

  /** A pod's containers all run, `seconds` after the agent first saw it. */
  podStarted(seconds: number): void {
    this.podStart.observe(seconds);
  }
}
