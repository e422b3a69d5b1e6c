import type { Strategy } from '../../registry/strategy';
import { leaseStrategy } from './lease';

export * from './lease';

/** The registry strategies of the coordination.k8s.io/v1 kinds. */
export const coordinationStrategies: Strategy[] = [leaseStrategy];
