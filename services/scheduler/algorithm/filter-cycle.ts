/**
 * The filters of one pod for one scheduling cycle: every plugin's PreFilter run once, then
 * nodes checked one by one (kube-scheduler's RunFilterPlugins: the first rejection wins).
 *
 * Nominated pods reserve their room (RunFilterPluginsWithNominatedPods): on a node with pods
 * nominated there by preemption whose priority is at least this pod's, the pod must fit with
 * them counted, and — when any were counted — without them too (an affinity may hold only
 * because of them).
 */
import type { ClusterSnapshot, FilterPlugin, PodFilter, Rejection } from './framework';
import type { NodeInfo } from './node-info';
import type { PodInfo } from './pod-info';

export class FilterCycle {
  private constructor(
    readonly pod: PodInfo,
    private readonly snapshot: ClusterSnapshot,
    private readonly filters: PodFilter[],
  ) {}

  /** Runs every plugin's PreFilter for `pod`. */
  static prepare(pod: PodInfo, snapshot: ClusterSnapshot, plugins: readonly FilterPlugin[]): FilterCycle {
    const filters: PodFilter[] = [];
    for (const p of plugins) {
      const f = p.preFilter(pod, snapshot);
      if (f) filters.push(f);
    }
    return new FilterCycle(pod, snapshot, filters);
  }

  /** The first rejection of `node` by the filters, or undefined when the pod fits. */
  run(node: NodeInfo): Rejection | undefined {
    for (const f of this.filters) {
      const r = f.filter(node);
      if (r) return r;
    }
    return undefined;
  }

  /** {@link run}, with the higher-or-equal-priority pods nominated to `node` counted. */
  runWithNominated(node: NodeInfo): Rejection | undefined {
    const nominated = this.snapshot.nominatedPods(node.name);
    if (nominated.length === 0) return this.run(node);
    let withThem: { cycle: FilterCycle; node: NodeInfo } | undefined;
    for (const p of nominated) {
      if (p.priority < this.pod.priority || p.key === this.pod.key || node.findPod(p.key)) continue;
      withThem ??= { cycle: this.clone(), node: node.clone() };
      withThem.node.addPod(p);
      withThem.cycle.addPod(p, withThem.node);
    }
    if (!withThem) return this.run(node);
    return withThem.cycle.run(withThem.node) ?? this.run(node);
  }

  /** Tells the stateful filters that `p` now counts on `node`. */
  addPod(p: PodInfo, node: NodeInfo): void {
    for (const f of this.filters) f.addPod?.(p, node);
  }

  /** Tells the stateful filters that `p` no longer counts on `node`. */
  removePod(p: PodInfo, node: NodeInfo): void {
    for (const f of this.filters) f.removePod?.(p, node);
  }

  /** Independent filter state for a simulation. */
  clone(): FilterCycle {
    return new FilterCycle(this.pod, this.snapshot, this.filters.map((f) => f.clone()));
  }
}
