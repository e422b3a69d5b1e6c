import type { Strategy } from '../../registry/strategy';
import { podDisruptionBudgetStrategy } from './pod-disruption-budget';

export * from './eviction';
export * from './pod-disruption-budget';

/** The registry strategies of the policy/v1 kinds. */
export const policyStrategies: Strategy[] = [podDisruptionBudgetStrategy];
