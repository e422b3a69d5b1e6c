/**
 * PodTopologySpread's filter (kube-scheduler podtopologyspread/filtering.go) for the pod's
 * DoNotSchedule constraints. PreFilter counts the matching pods in every eligible domain (a
 * node counts when it has every constraint's topology key and passes the constraint's node
 * inclusion policies; empty domains count too). A node is rejected when it lacks a topology
 * key, or when placing the pod there would make
 * `pods in its domain + (1 if the pod matches itself) - global minimum` exceed maxSkew — the
 * global minimum being 0 while fewer than minDomains domains exist.
 */
import { rejection, type FilterPlugin, type PodFilter, type Rejection } from '../framework';
import type { NodeInfo } from '../node-info';
import type { PodInfo, SpreadConstraint } from '../pod-info';
import { countMatchingPods, hasAllTopologyKeys, nodeIncluded } from '../spread-domains';

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';

export const REASON_SPREAD_CONSTRAINTS = "node(s) didn't match pod topology spread constraints";
export const REASON_SPREAD_MISSING_LABEL = `${REASON_SPREAD_CONSTRAINTS} (missing required label)`;

const SKEW_TOO_HIGH: Rejection = rejection(POD_TOPOLOGY_SPREAD, 'Unschedulable', REASON_SPREAD_CONSTRAINTS);
const MISSING_LABEL: Rejection = rejection(POD_TOPOLOGY_SPREAD, 'UnschedulableAndUnresolvable', REASON_SPREAD_MISSING_LABEL);

/** Matching pods per domain value, for one topology key; empty domains are kept (value 0). */
type Domains = Map<string, number>;

class SpreadFilter implements PodFilter {
  readonly plugin = POD_TOPOLOGY_SPREAD;
  /** Cached global minimum per topology key; cleared when counts change. */
  private readonly minima = new Map<string, number>();

  constructor(
    private readonly pod: PodInfo,
    private readonly constraints: readonly SpreadConstraint[],
    /** topology key → domain value → matching pods. */
    private readonly domains: Map<string, Domains>,
  ) {}

  private minMatch(key: string): number {
    let min = this.minima.get(key);
    if (min === undefined) {
      min = Number.MAX_SAFE_INTEGER;
      for (const n of this.domains.get(key)?.values() ?? []) if (n < min) min = n;
      this.minima.set(key, min);
    }
    return min;
  }

  filter(node: NodeInfo): Rejection | undefined {
    for (const c of this.constraints) {
      const value = node.labels[c.topologyKey];
      if (value === undefined) return MISSING_LABEL;
      const domains = this.domains.get(c.topologyKey);
      if (!domains || domains.size === 0) continue; // no eligible domain: nothing to compare with
      const min = domains.size < c.minDomains ? 0 : this.minMatch(c.topologyKey);
      const self = c.selector.matches(this.pod.labels) ? 1 : 0;
      if ((domains.get(value) ?? 0) + self - min > c.maxSkew) return SKEW_TOO_HIGH;
    }
    return undefined;
  }

  private update(other: PodInfo, node: NodeInfo, delta: number): void {
    if (other.namespace !== this.pod.namespace || !hasAllTopologyKeys(node.labels, this.constraints)) return;
    for (const c of this.constraints) {
      if (!c.selector.matches(other.labels) || !nodeIncluded(c, this.pod, node)) continue;
      const domains = this.domains.get(c.topologyKey);
      const value = node.labels[c.topologyKey]!;
      if (!domains) continue;
      domains.set(value, (domains.get(value) ?? 0) + delta);
      this.minima.delete(c.topologyKey);
    }
  }

  addPod(added: PodInfo, node: NodeInfo): void {
    this.update(added, node, 1);
  }

  removePod(removed: PodInfo, node: NodeInfo): void {
    this.update(removed, node, -1);
  }

  clone(): PodFilter {
    return new SpreadFilter(this.pod, this.constraints, new Map([...this.domains].map(([k, d]) => [k, new Map(d)])));
  }
}

/** The PodTopologySpread filter plugin. */
export const podTopologySpread: FilterPlugin = {
  name: POD_TOPOLOGY_SPREAD,
  preFilter(pod, snapshot) {
    const constraints = pod.spreadConstraints.filter((c) => c.whenUnsatisfiable === 'DoNotSchedule');
    if (constraints.length === 0) return undefined;
    const domains = new Map<string, Domains>(constraints.map((c) => [c.topologyKey, new Map()]));
    for (const node of snapshot.nodes) {
      if (!hasAllTopologyKeys(node.labels, constraints)) continue;
      for (const c of constraints) {
        if (!nodeIncluded(c, pod, node)) continue;
        const d = domains.get(c.topologyKey)!;
        const value = node.labels[c.topologyKey]!;
        d.set(value, (d.get(value) ?? 0) + countMatchingPods(node, c.selector, pod.namespace));
      }
    }
    return new SpreadFilter(pod, constraints, domains);
  },
};
