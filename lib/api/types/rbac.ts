/**
 * The typed objects of the rbac.authorization.k8s.io/v1 kinds: Role, ClusterRole, RoleBinding, ClusterRoleBinding.
 * Kubernetes' JSON field names; only the fields Bosun reads are named, the rest stay open.
 * Shared by the apiserver (its strategies) and every client.
 */
import type { LabelSelector } from '../label-selector';
import type { KubeObject } from '../object';

/** One rule of a Role or ClusterRole. */
export type PolicyRule = {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
};
/** Who a binding grants to. */
export type Subject = { kind?: string; apiGroup?: string; name?: string; namespace?: string };
/** What a binding grants. */
export type RoleRef = { apiGroup?: string; kind?: string; name?: string };
/** rbac.authorization.k8s.io/v1 Role (namespaced). */
export type Role = KubeObject & { rules?: PolicyRule[] };
/** rbac.authorization.k8s.io/v1 ClusterRole. */
export type ClusterRole = KubeObject & { rules?: PolicyRule[]; aggregationRule?: { clusterRoleSelectors?: LabelSelector[] } };
/** rbac.authorization.k8s.io/v1 RoleBinding (namespaced). */
export type RoleBinding = KubeObject & { subjects?: Subject[]; roleRef?: RoleRef };
/** rbac.authorization.k8s.io/v1 ClusterRoleBinding: a RoleBinding that is cluster-scoped and may only name a ClusterRole. */
export type ClusterRoleBinding = RoleBinding;
