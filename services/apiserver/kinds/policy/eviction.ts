/**
 * The rules of the pods/eviction subresource (Kubernetes' EvictionREST), as pure decisions over
 * a pod and the PodDisruptionBudgets of its namespace: whether the pod may go, and which budget
 * status write must succeed first. The rest layer (services/apiserver/rest/pod-rest.ts) reads,
 * writes and deletes; nothing here does I/O.
 */
import { BadRequestError, ForbiddenError, InternalError, TooManyRequestsError, type FieldError } from '../../../../lib/api/errors';
import type { KubeObject } from '../../../../lib/api/object';
import { budgetSelector } from '../../../../lib/api/disruption-budget';
import { isPodReady } from '../../../../lib/api/pod-status';
import type { DeleteRequest } from '../../../../lib/api/requests';
import type { Pod } from '../core';
import type { PodDisruptionBudget } from './pod-disruption-budget';

/** Most evictions a budget may record in status.disruptedPods before the controller has caught up. */
export const MAX_DISRUPTED_POD_SIZE = 2000;
/** Kubernetes' message of an eviction a budget refuses. */
export const DISRUPTION_BUDGET_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";
/** The StatusCause reason naming the budget that refused an eviction. */
export const DISRUPTION_BUDGET_CAUSE = 'DisruptionBudget';
/** The budget condition that says whether a disruption is allowed now. */
export const DISRUPTION_ALLOWED_CONDITION = 'DisruptionAllowed';
/** Its reason when no disruption is left. */
export const INSUFFICIENT_PODS_REASON = 'InsufficientPods';
/** Kubernetes' message when several budgets cover one pod. */
export const MULTIPLE_BUDGETS_MESSAGE = 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.';

/** policy/v1 Eviction: the body of POST …/pods/<name>/eviction. */
export type Eviction = KubeObject & {
  deleteOptions?: {
    gracePeriodSeconds?: number;
    preconditions?: { uid?: string; resourceVersion?: string };
    propagationPolicy?: string;
    orphanDependents?: boolean;
    dryRun?: string[];
  };
};

/**
 * What an allowed eviction does: delete the pod, after writing `budget` (its status decremented,
 * the pod recorded in disruptedPods) with a compare-and-swap on its resourceVersion when set.
 */
export interface EvictionPlan {
  readonly budget?: PodDisruptionBudget;
}

/**
 * The Eviction's field errors (for a 422); a name that differs from the pod's in the path is
 * thrown as 400 BadRequest, as Kubernetes answers it.
 */
export function validateEviction(eviction: Eviction, podName: string): FieldError[] {
  const name = eviction.metadata?.name;
  if (name && name !== podName) throw new BadRequestError(`name in URL does not match name in Eviction object`);
  const grace = eviction.deleteOptions?.gracePeriodSeconds;
  if (grace !== undefined && grace !== null && (!Number.isInteger(grace) || grace < 0)) {
    return [{ type: 'FieldValueInvalid', field: 'deleteOptions.gracePeriodSeconds', message: `Invalid value: ${grace}: must be greater than or equal to 0` }];
  }
  return [];
}

/** The eviction's DeleteOptions as the registry's delete request. */
export function deleteRequestOf(eviction: Eviction, dryRun: boolean): DeleteRequest {
  const o = eviction.deleteOptions ?? {};
  return {
    gracePeriodSeconds: o.gracePeriodSeconds ?? undefined,
    propagationPolicy: o.propagationPolicy || undefined,
    orphanDependents: o.orphanDependents ?? undefined,
    preconditions: o.preconditions,
    dryRun: dryRun || (Array.isArray(o.dryRun) && o.dryRun.includes('All')),
  };
}

export { isPodReady };

/**
 * A pod whose eviction never consults budgets: one that is not running yet or any more
 * (Pending, Succeeded, Failed) or is already being deleted.
 */
export function canIgnoreBudgets(pod: Pod): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

/**
 * The budgets of `pod`'s namespace whose selector matches its labels (policy/v1: a null selector
 * matches nothing, an empty one every pod; an unparsable one nothing).
 */
export function budgetsCoveringPod(pod: Pod, budgets: readonly PodDisruptionBudget[]): PodDisruptionBudget[] {
  const labels = pod.metadata.labels ?? {};
  return budgets.filter((b) => b.metadata.namespace === pod.metadata.namespace && budgetSelector(b).matches(labels));
}

/**
 * Decides an eviction of `pod` (Kubernetes' EvictionREST.Create): a pod that is not running is
 * deleted without consulting budgets; otherwise at most one budget may cover it (more: 500);
 * an unready pod goes without spending the budget when the budget allows unhealthy evictions
 * (AlwaysAllow, or IfHealthyBudget while currentHealthy ≥ desiredHealthy > 0); else the budget
 * must be up to date (observedGeneration) and allow a disruption (429 TooManyRequests with a
 * DisruptionBudget cause if not), and the plan carries it with disruptionsAllowed decremented and
 * the pod in disruptedPods at `now`.
 */
export function planEviction(pod: Pod, budgets: readonly PodDisruptionBudget[], now: Date): EvictionPlan {
  if (canIgnoreBudgets(pod)) return {};
  const covering = budgetsCoveringPod(pod, budgets);
  if (covering.length === 0) return {};
  if (covering.length > 1) throw new InternalError(`Internal error occurred: ${MULTIPLE_BUDGETS_MESSAGE}`);
  const budget = covering[0]!;
  const status = budget.status ?? {};
  if (!isPodReady(pod)) {
    if (budget.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return {};
    const desired = status.desiredHealthy ?? 0;
    if (desired > 0 && (status.currentHealthy ?? 0) >= desired) return {};
  }
  return { budget: decrementedBudget(budget, pod.metadata.name ?? '', now) };
}

function decrementedBudget(budget: PodDisruptionBudget, podName: string, now: Date): PodDisruptionBudget {
  const name = budget.metadata.name ?? '';
  const status = budget.status ?? {};
  if ((status.observedGeneration ?? 0) < (budget.metadata.generation ?? 0)) {
    throw refused(`The disruption budget ${name} is still being processed by the server.`);
  }
  const allowed = status.disruptionsAllowed ?? 0;
  if (allowed < 0) throw budgetForbidden(name, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) {
    throw budgetForbidden(name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (allowed === 0) {
    throw refused(`The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`);
  }
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const next: PodDisruptionBudget = structuredClone(budget);
  next.status = { ...status, disruptionsAllowed: allowed - 1, disruptedPods: { ...(status.disruptedPods ?? {}), [podName]: stamp } };
  if (allowed - 1 === 0) {
    // The budget is spent: say so in the DisruptionAllowed condition, as the controller would.
    const others = (status.conditions ?? []).filter((c) => c.type !== DISRUPTION_ALLOWED_CONDITION);
    const previous = (status.conditions ?? []).find((c) => c.type === DISRUPTION_ALLOWED_CONDITION);
    const since = previous?.status === 'False' ? previous.lastTransitionTime : stamp;
    next.status.conditions = [
      ...others,
      { type: DISRUPTION_ALLOWED_CONDITION, status: 'False', reason: INSUFFICIENT_PODS_REASON, message: '', lastTransitionTime: since, observedGeneration: status.observedGeneration },
    ];
  }
  return next;
}

function refused(cause: string): TooManyRequestsError {
  return new TooManyRequestsError(DISRUPTION_BUDGET_MESSAGE, { causes: [{ reason: DISRUPTION_BUDGET_CAUSE, message: cause, field: '' }] });
}

function budgetForbidden(name: string, why: string): ForbiddenError {
  return new ForbiddenError(`poddisruptionbudgets.policy "${name}" is forbidden: ${why}`, { name, group: 'policy', kind: 'poddisruptionbudgets' });
}
