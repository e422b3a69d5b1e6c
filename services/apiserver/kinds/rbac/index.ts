import type { Strategy } from '../../registry/strategy';
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategy } from './rbac';

export * from './rbac';

/** The registry strategies of the rbac.authorization.k8s.io/v1 kinds. */
export const rbacStrategies: Strategy[] = [
  roleStrategy,
  roleBindingStrategy,
  clusterRoleStrategy,
  clusterRoleBindingStrategy,
];
