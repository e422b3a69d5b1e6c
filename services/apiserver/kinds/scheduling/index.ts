import type { Strategy } from '../../registry/strategy';
import { priorityClassStrategy } from './priority-class';

export * from './priority-class';

/** The registry strategies of the scheduling.k8s.io/v1 kinds. */
export const schedulingStrategies: Strategy[] = [priorityClassStrategy];
