/**
 * PodDisruptionBudgets as preemption reads them (kube-scheduler defaultpreemption's
 * filterPodsWithPDBViolation): compiled once per budget version, then used to split a node's
 * would-be victims into those whose eviction would violate a budget and those whose would not.
 */
import { selectorFromLabelSelector, type LabelSelector, type Selector } from '../../../lib/api/label-selector';
import type { KubeObject } from '../../../lib/api/object';
import type { PodInfo } from './pod-info';

/** A budget compiled for preemption. */
export interface DisruptionBudget {
  readonly namespace: string;
  /** Undefined for a budget whose selector is missing, empty or unreadable: it matches no pod. */
  readonly selector: Selector | undefined;
  readonly disruptionsAllowed: number;
  /** Pods whose eviction the apiserver already counted against the budget. */
  readonly disruptedPods: ReadonlySet<string>;
}

/** The budgets the scheduler knows of now (an informer's cache). */
export type DisruptionBudgetSource = () => readonly DisruptionBudget[];

/** Compiles a policy/v1 PodDisruptionBudget object; never throws (a bad selector matches nothing). */
export function compileDisruptionBudget(obj: KubeObject): DisruptionBudget {
  const spec = (obj.spec ?? {}) as { selector?: LabelSelector | null };
  const status = (obj.status ?? {}) as { disruptionsAllowed?: unknown; disruptedPods?: unknown };
  let selector: Selector | undefined;
  try {
    const s = spec.selector ? selectorFromLabelSelector(spec.selector) : undefined;
    selector = s && !s.empty() ? s : undefined;
  } catch {
    selector = undefined;
  }
  const disrupted = status.disruptedPods && typeof status.disruptedPods === 'object' ? Object.keys(status.disruptedPods) : [];
  return {
    namespace: obj.metadata.namespace ?? '',
    selector,
    disruptionsAllowed: typeof status.disruptionsAllowed === 'number' ? status.disruptionsAllowed : 0,
    disruptedPods: new Set(disrupted),
  };
}

/**
 * Splits `pods` (most important first) into those whose eviction, one after the other in this
 * order, would take some matching budget below zero, and the rest. A pod the budget already
 * lists in disruptedPods does not spend it again. Order within each part is kept.
 */
export function splitByBudgetViolation(pods: readonly PodInfo[], budgets: readonly DisruptionBudget[]): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = budgets.map((b) => b.disruptionsAllowed);
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const p of pods) {
    let violates = false;
    if (Object.keys(p.labels).length > 0) {
      budgets.forEach((b, i) => {
        if (b.namespace !== p.namespace || !b.selector || !b.selector.matches(p.labels)) return;
        if (b.disruptedPods.has(p.name)) return;
        allowed[i]!--;
        if (allowed[i]! < 0) violates = true;
      });
    }
    (violates ? violating : nonViolating).push(p);
  }
  return { violating, nonViolating };
}
