/**
 * What the scheduler benchmark runs, and the anchors and targets of issue 11.
 */

/** Sizes of one run. */
export interface SchedulerBenchPlan {
  /** (a) The algorithm alone, in process: node counts and pods placed at each. */
  readonly algorithm: { readonly nodeCounts: readonly number[]; readonly pods: number };
  /** (b) End to end through apiserver and store. */
  readonly endToEnd: {
    readonly nodeCounts: readonly number[];
    /** Pods created before the scheduler starts. */
    readonly pods: number;
    /** Pods then created at a steady rate while the scheduler runs (create→bound latency). */
    readonly streamPods: number;
    /** Their creation rate, pods/s (ClusterLoader2's 100 pods/s). */
    readonly streamRate: number;
    /** Longest a bind wave may take before the phase gives up, ms. */
    readonly capMs: number;
  };
}

/** The full run of issue 11, or a quick smaller one. */
export function schedulerBenchPlan(quick: boolean): SchedulerBenchPlan {
  return quick
    ? { algorithm: { nodeCounts: [1000, 5000], pods: 2000 }, endToEnd: { nodeCounts: [200], pods: 1000, streamPods: 200, streamRate: 100, capMs: 60_000 } }
    : { algorithm: { nodeCounts: [1000, 5000], pods: 10_000 }, endToEnd: { nodeCounts: [1000, 5000], pods: 5000, streamPods: 1000, streamRate: 100, capMs: 180_000 } };
}

/** (a) target: decisions per second at 5,000 nodes. */
export const ALGORITHM_TARGET_AT_5000 = 5000;
/** (b) targets: pods per second from scheduler start to last bind, by node count. */
export const END_TO_END_TARGETS: Readonly<Record<number, number>> = { 1000: 800, 5000: 500 };
/** kube-scheduler's scheduler_perf thresholds at 5,000 fake nodes (pods/s, on far larger machines). */
export const SCHEDULER_PERF_ANCHOR = '680–810 pods/s at 5,000 nodes';
/** ClusterLoader2's load rate. */
export const CLUSTERLOADER2_ANCHOR = '100 pods/s';
/** Pod and node shapes (scheduler_perf's SchedulingBasic: small pods, large nodes). */
export const NODE_SHAPE = { cpu: '32', memory: '128Gi', pods: '110' } as const;
export const POD_SHAPE = { cpu: '100m', memory: '128Mi' } as const;
/** Zones the nodes are spread over (labels only; the benchmark pods do not spread). */
export const ZONES = 3;
