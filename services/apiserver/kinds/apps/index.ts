import type { Strategy } from '../../registry/strategy';
import { controllerRevisionStrategy } from './controller-revision';
import { daemonSetStrategy } from './daemonset';
import { deploymentStrategy } from './deployment';
import { replicaSetStrategy } from './replicaset';
import { statefulSetStrategy } from './statefulset';

export * from './controller-revision';
export * from './daemonset';
export * from './deployment';
export * from './replicaset';
export * from './statefulset';

/** The registry strategies of the apps/v1 kinds. */
export const appsStrategies: Strategy[] = [
  deploymentStrategy,
  replicaSetStrategy,
  daemonSetStrategy,
  statefulSetStrategy,
  controllerRevisionStrategy,
];
