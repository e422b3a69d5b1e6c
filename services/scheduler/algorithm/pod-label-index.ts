/**
 * The pods of one node by namespace and label (key=value), so spreading counts the pods a
 * selector matches by looking up one of its equality requirements instead of testing every pod
 * on the node (kube-scheduler walks every pod; with thousands of pods per scheduling decision,
 * that scan dominated default spreading).
 */
import type { Selector } from '../../../lib/api/label-selector';
import type { PodInfo } from './pod-info';

const SEPARATOR = '\u0000';

function indexKey(namespace: string, key: string, value: string): string {
  return namespace + SEPARATOR + key + SEPARATOR + value;
}

export class PodLabelIndex {
  private readonly byLabel: Map<string, PodInfo[]>;

  constructor(from?: PodLabelIndex) {
    this.byLabel = new Map();
    if (from) for (const [k, pods] of from.byLabel) this.byLabel.set(k, [...pods]);
  }

  add(p: PodInfo): void {
    for (const [key, value] of Object.entries(p.labels)) {
      const k = indexKey(p.namespace, key, value);
      const list = this.byLabel.get(k);
      if (list) list.push(p);
      else this.byLabel.set(k, [p]);
    }
  }

  remove(p: PodInfo): void {
    for (const [key, value] of Object.entries(p.labels)) {
      const k = indexKey(p.namespace, key, value);
      const list = this.byLabel.get(k);
      if (!list) continue;
      const i = list.findIndex((q) => q.key === p.key);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byLabel.delete(k);
    }
  }

  /**
   * The pods in `namespace` that may match `selector`: those carrying the value of its most
   * selective equality requirement (`k=v` or `k in (v)`), or undefined when it has none (the
   * caller then tests every pod). Every pod the selector matches is among them.
   */
  candidates(namespace: string, selector: Selector): readonly PodInfo[] | undefined {
    let best: readonly PodInfo[] | undefined;
    for (const r of selector.requirements) {
      if (r.values.length !== 1 || (r.operator !== '=' && r.operator !== 'in')) continue;
      const pods = this.byLabel.get(indexKey(namespace, r.key, r.values[0]!)) ?? [];
      if (!best || pods.length < best.length) best = pods;
      if (best.length === 0) break;
    }
    return best;
  }

  /** An independent copy. */
  clone(): PodLabelIndex {
    return new PodLabelIndex(this);
  }
}
