/** What a PodDisruptionBudget covers, shared by the eviction subresource and the disruption controller. */
import { nothing, selectorFromLabelSelector, type Selector } from './label-selector';
import type { PodDisruptionBudget } from './types/policy';

/**
 * The pods a budget selects (policy/v1): a null selector matches no pods, an empty one ({})
 * every pod of the budget's namespace. A selector that does not parse matches nothing.
 */
export function budgetSelector(pdb: PodDisruptionBudget): Selector {
  const sel = pdb.spec?.selector;
  if (!sel) return nothing();
  try {
    return selectorFromLabelSelector(sel);
  } catch {
    return nothing();
  }
}
