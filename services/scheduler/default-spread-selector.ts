/**
 * The selector of default spreading (kube-scheduler helper.DefaultSelector): the pods that
 * belong with this one are those matching every Service in its namespace whose selector selects
 * it, and the selector of its controlling ReplicaSet or StatefulSet. Without any, the pod is
 * not spread by default.
 */
import { selectorFromLabelSelector, selectorFromSet, type LabelSelector, type Selector } from '../../lib/api/label-selector';
import type { KubeObject } from '../../lib/api/object';
import type { Lister } from '../../lib/client/informer';
import type { SpreadSelectorSource } from './algorithm/cluster-state';
import type { PodInfo } from './algorithm/pod-info';

/** The caches default spreading reads. */
export interface SpreadListers {
  readonly services: Lister<KubeObject>;
  readonly replicaSets: Lister<KubeObject>;
  readonly statefulSets: Lister<KubeObject>;
}

/** The conjunction of `selectors` (matches when all do; empty when all are). */
export function allOf(selectors: readonly Selector[]): Selector {
  if (selectors.length === 1) return selectors[0]!;
  return {
    requirements: selectors.flatMap((s) => s.requirements),
    matches: (labels) => selectors.every((s) => s.matches(labels)),
    empty: () => selectors.every((s) => s.empty()),
    toString: () => selectors.map((s) => s.toString()).filter((s) => s !== '').join(','),
  };
}

function isStringMap(x: unknown): x is Record<string, string> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every((v) => typeof v === 'string');
}

/** The controller's label selector, or undefined when absent or unreadable. */
function ownerSelector(owner: KubeObject | undefined): Selector | undefined {
  if (!owner) return undefined;
  try {
    return selectorFromLabelSelector(owner.spec?.['selector'] as LabelSelector | undefined);
  } catch {
    return undefined;
  }
}

/** A SpreadSelectorSource over the listers. */
export function defaultSpreadSelector(listers: SpreadListers): SpreadSelectorSource {
  return (pod: PodInfo) => {
    const selectors: Selector[] = [];
    for (const svc of listers.services.listInNamespace(pod.namespace)) {
      const sel = svc.spec?.['selector'];
      if (!isStringMap(sel) || Object.keys(sel).length === 0) continue;
      const s = selectorFromSet(sel);
      if (s.matches(pod.labels)) selectors.push(s);
    }
    const owner = pod.pod.metadata.ownerReferences?.find((o) => o.controller);
    if (owner?.apiVersion === 'apps/v1') {
      const lister = owner.kind === 'ReplicaSet' ? listers.replicaSets : owner.kind === 'StatefulSet' ? listers.statefulSets : undefined;
      const s = ownerSelector(lister?.get(pod.namespace, owner.name));
      if (s) selectors.push(s);
    }
    if (selectors.length === 0) return undefined;
    const all = allOf(selectors);
    return all.empty() ? undefined : all;
  };
}
