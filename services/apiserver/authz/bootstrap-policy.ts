/**
 * The roles and bindings every cluster starts with (Kubernetes' bootstrap policy, condensed to
 * the kinds Bosun serves): the user-facing ClusterRoles cluster-admin, admin, edit and view; the
 * system roles for discovery and self-review; one role per Bosun component. The apiserver
 * reconciles them at start (bootstrap-policy-reconciler.ts).
 */
import type { LabelSelector } from '../../../lib/api/label-selector';
import type { PolicyRule } from '../../../lib/api/types/rbac';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const ALL_VERBS = [...READ, ...WRITE];

/** The group of every node's user (Kubernetes' system:nodes). */
export const NODES_GROUP = 'system:nodes';

/** Label Kubernetes puts on its bootstrap roles and bindings. */
export const BOOTSTRAP_LABEL = 'kubernetes.io/bootstrapping';
/** Annotation that, set to "false", stops the apiserver from reconciling a bootstrap object. */
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';

function rule(verbs: string[], apiGroups: string[], resources: string[]): PolicyRule {
  return { verbs, apiGroups, resources };
}

/** Namespaced workload objects a namespace's users read (view) and write (edit). Secrets are not viewable. */
const WORKLOAD_RESOURCES: readonly PolicyRule[] = [
  rule([], [''], ['pods', 'pods/log', 'pods/status', 'services', 'services/status', 'endpoints', 'configmaps', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'events', 'limitranges', 'resourcequotas', 'resourcequotas/status', 'bindings']),
  rule([], ['apps'], ['deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status', 'daemonsets', 'daemonsets/status', 'controllerrevisions']),
  rule([], ['batch'], ['jobs', 'jobs/status', 'cronjobs', 'cronjobs/status']),
  rule([], ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule([], ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule([], ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
  rule([], ['discovery.k8s.io'], ['endpointslices']),
  rule([], ['coordination.k8s.io'], ['leases']),
];

function withVerbs(rules: readonly PolicyRule[], verbs: string[]): PolicyRule[] {
  return rules.map((r) => ({ ...r, verbs }));
}

/** Reading resource metrics (metrics-server's system:aggregated-metrics-reader, aggregated into view, edit and admin). */
const METRICS_READ = rule(['get', 'list', 'watch'], ['metrics.k8s.io'], ['pods', 'nodes']);

/** What view grants (system:aggregate-to-view). */
const VIEW_RULES: PolicyRule[] = [...withVerbs(WORKLOAD_RESOURCES, READ), rule(READ, [''], ['namespaces', 'namespaces/status'])];
/** What edit adds to view (system:aggregate-to-edit). */
const EDIT_RULES: PolicyRule[] = [
  ...withVerbs(WORKLOAD_RESOURCES, WRITE),
  rule(ALL_VERBS, [''], ['secrets']),
  rule(['create', 'get'], [''], ['pods/exec', 'pods/attach', 'pods/portforward', 'pods/proxy', 'services/proxy']),
  rule(['create'], [''], ['pods/eviction', 'serviceaccounts/token']),
  rule(['impersonate'], [''], ['serviceaccounts']),
];
/** What admin adds to edit (system:aggregate-to-admin). */
const ADMIN_RULES: PolicyRule[] = [
  rule(ALL_VERBS, ['rbac.authorization.k8s.io'], ['roles', 'rolebindings']),
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
];

/** The labels that aggregate a ClusterRole into admin, edit and view (Kubernetes'). */
export const AGGREGATE_TO_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
export const AGGREGATE_TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
export const AGGREGATE_TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

function aggregating(label: string): LabelSelector[] {
  return [{ matchLabels: { [label]: 'true' } }];
}

const DISCOVERY_PATHS = ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*', '/version', '/version/', '/healthz', '/livez', '/readyz'];
const PUBLIC_INFO_PATHS = ['/healthz', '/livez', '/readyz', '/version', '/version/'];
const EVENTS_WRITE = [rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events'])];
const LEASES = [rule(ALL_VERBS, ['coordination.k8s.io'], ['leases'])];

/**
 * What a node agent does (Kubernetes' system:node role): its Node, Lease, pods and their
 * status, Events, and reading what its pods refer to. Under the Node authorizer these rules
 * are its static part (NodeRules) and the reads of Secrets, ConfigMaps, claims and volumes
 * are narrowed to the node's own pods.
 */
export const NODE_RULES: readonly PolicyRule[] = [
  ...EVENTS_WRITE,
  ...LEASES,
  rule(['create', 'get', 'list', 'watch', 'patch', 'update', 'delete'], [''], ['nodes', 'nodes/status']),
  rule(['get', 'list', 'watch', 'create', 'delete'], [''], ['pods']),
  rule(['patch', 'update'], [''], ['pods/status']),
  rule(['create'], [''], ['pods/eviction', 'serviceaccounts/token']),
  rule(['get', 'list', 'watch'], [''], ['services', 'endpoints', 'configmaps', 'secrets', 'persistentvolumeclaims', 'persistentvolumes', 'namespaces']),
  rule(['get', 'list', 'watch'], ['storage.k8s.io'], ['csidrivers', 'volumeattachments', 'storageclasses']),
  rule(['get', 'list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
];

/** What the local-path provisioner in every node agent does (it owns the node's disk). */
export const LOCAL_PATH_PROVISIONER_RULES: readonly PolicyRule[] = [
  ...EVENTS_WRITE,
  rule(['get', 'list', 'watch', 'create', 'delete'], [''], ['persistentvolumes']),
  rule(['get', 'list', 'watch', 'update'], [''], ['persistentvolumeclaims']),
  rule(['get', 'list', 'watch'], ['storage.k8s.io'], ['storageclasses']),
];

/** A bootstrap ClusterRole. */
export interface BootstrapClusterRole {
  readonly name: string;
  readonly rules: readonly PolicyRule[];
  /** Labels aggregating this role into admin/edit/view (Kubernetes' aggregation labels). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Selectors of the roles whose rules make up this one (its `rules` are then the controller's). */
  readonly aggregationRule?: readonly LabelSelector[];
}

/** A bootstrap ClusterRoleBinding: `role` granted to groups and users. */
export interface BootstrapClusterRoleBinding {
  readonly name: string;
  readonly role: string;
  readonly groups?: readonly string[];
  readonly users?: readonly string[];
}

export const BOOTSTRAP_CLUSTER_ROLES: readonly BootstrapClusterRole[] = [
  { name: 'cluster-admin', rules: [rule(['*'], ['*'], ['*']), { verbs: ['*'], nonResourceURLs: ['*'] }] },
  // As Kubernetes ships them: admin, edit and view are aggregated (view into edit into admin),
  // their rules held by the system:aggregate-to-* roles and any role a user labels likewise.
  { name: 'admin', rules: [], aggregationRule: aggregating(AGGREGATE_TO_ADMIN) },
  { name: 'edit', rules: [], labels: { [AGGREGATE_TO_ADMIN]: 'true' }, aggregationRule: aggregating(AGGREGATE_TO_EDIT) },
  { name: 'view', rules: [], labels: { [AGGREGATE_TO_EDIT]: 'true' }, aggregationRule: aggregating(AGGREGATE_TO_VIEW) },
  { name: 'system:aggregate-to-admin', rules: ADMIN_RULES, labels: { [AGGREGATE_TO_ADMIN]: 'true' } },
  { name: 'system:aggregate-to-edit', rules: EDIT_RULES, labels: { [AGGREGATE_TO_EDIT]: 'true' } },
  { name: 'system:aggregate-to-view', rules: VIEW_RULES, labels: { [AGGREGATE_TO_VIEW]: 'true' } },
  { name: 'system:aggregated-metrics-reader', rules: [METRICS_READ], labels: { [AGGREGATE_TO_ADMIN]: 'true', [AGGREGATE_TO_EDIT]: 'true', [AGGREGATE_TO_VIEW]: 'true' } },
  { name: 'system:discovery', rules: [{ verbs: ['get'], nonResourceURLs: DISCOVERY_PATHS }] },
  { name: 'system:public-info-viewer', rules: [{ verbs: ['get'], nonResourceURLs: PUBLIC_INFO_PATHS }] },
  {
    name: 'system:basic-user',
    rules: [rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']), rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews'])],
  },
  {
    name: 'system:kube-scheduler',
    rules: [
      ...EVENTS_WRITE,
      ...LEASES,
      rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
      rule(['create'], [''], ['pods/binding', 'bindings']),
      rule(['patch', 'update'], [''], ['pods/status']),
      rule(READ, [''], ['nodes', 'namespaces', 'services', 'replicationcontrollers', 'persistentvolumeclaims', 'persistentvolumes', 'configmaps']),
      rule(READ, ['apps'], ['replicasets', 'statefulsets']),
      rule(READ, ['policy'], ['poddisruptionbudgets']),
      rule(READ, ['scheduling.k8s.io'], ['priorityclasses']),
      rule(READ, ['storage.k8s.io'], ['storageclasses', 'csinodes', 'csidrivers', 'csistoragecapacities']),
      // The volume binding step: a WaitForFirstConsumer claim gets the chosen node's annotation.
      rule(['patch', 'update'], [''], ['persistentvolumeclaims']),
    ],
  },
  // Bosun's controllers run under the controller-manager's own identity (no per-controller
  // ServiceAccounts yet), and the garbage collector and namespace controller act on every kind.
  // `escalate` on ClusterRoles: the clusterrole-aggregation controller writes aggregated rules
  // (and aggregated roles) the manager need not hold itself, as Kubernetes' controller may.
  { name: 'system:kube-controller-manager', rules: [rule(ALL_VERBS, ['*'], ['*']), rule(['escalate'], ['rbac.authorization.k8s.io'], ['clusterroles'])] },
  { name: 'system:node', rules: NODE_RULES },
  {
    name: 'system:node-proxier',
    rules: [...EVENTS_WRITE, rule(['list', 'watch'], [''], ['services', 'endpoints']), rule(['get', 'list', 'watch'], [''], ['nodes']), rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices'])],
  },
  // Kubernetes' role for external volume provisioners; Bosun's local-path provisioner runs in
  // every node agent (it owns the node's disk), so the nodes group holds it.
  { name: 'system:persistent-volume-provisioner', rules: LOCAL_PATH_PROVISIONER_RULES },
  // bosun dns: reads what it answers from, and keeps the kube-dns Service and its Endpoints.
  {
    name: 'system:bosun-dns',
    rules: [
      rule(['list', 'watch'], [''], ['services', 'endpoints', 'pods', 'namespaces']),
      rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
      rule(['get', 'create', 'update', 'patch'], [''], ['services', 'endpoints']),
    ],
  },
  // bosun ingress: reads Ingresses, their Services' endpoints and TLS Secrets, writes Ingress status.
  {
    name: 'system:bosun-ingress',
    rules: [
      ...EVENTS_WRITE,
      rule(READ, ['networking.k8s.io'], ['ingresses', 'ingressclasses']),
      rule(['update', 'patch'], ['networking.k8s.io'], ['ingresses/status']),
      rule(['create'], ['networking.k8s.io'], ['ingressclasses']),
      rule(READ, [''], ['services', 'endpoints', 'secrets']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
    ],
  },
];

export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly BootstrapClusterRoleBinding[] = [
  { name: 'cluster-admin', role: 'cluster-admin', groups: ['system:masters'] },
  { name: 'system:discovery', role: 'system:discovery', groups: ['system:authenticated'] },
  { name: 'system:basic-user', role: 'system:basic-user', groups: ['system:authenticated'] },
  { name: 'system:public-info-viewer', role: 'system:public-info-viewer', groups: ['system:authenticated', 'system:unauthenticated'] },
  { name: 'system:kube-scheduler', role: 'system:kube-scheduler', users: ['system:kube-scheduler'] },
  { name: 'system:kube-controller-manager', role: 'system:kube-controller-manager', users: ['system:kube-controller-manager'] },
  // Kubernetes binds system:node to nothing and leaves nodes to the Node authorizer; without it
  // (--authorization-mode RBAC alone) the nodes group holds the node role, as before 1.8.
  { name: 'system:node', role: 'system:node', groups: [NODES_GROUP] },
  { name: 'system:node-proxier', role: 'system:node-proxier', users: ['system:kube-proxy'] },
  { name: 'system:bosun-local-path-provisioner', role: 'system:persistent-volume-provisioner', groups: [NODES_GROUP] },
  { name: 'system:bosun-dns', role: 'system:bosun-dns', users: ['system:serviceaccount:kube-system:coredns'] },
  { name: 'system:bosun-ingress', role: 'system:bosun-ingress', users: ['system:bosun-ingress'] },
];

/**
 * Bindings that give the whole nodes group a role, which the Node authorizer replaces with
 * per-node rules: with Node among the modes they bind no one (and the reconciler takes the
 * group off an existing cluster's copies), or one node could read what every node may.
 */
export const NODE_GROUP_BINDINGS: ReadonlySet<string> = new Set(['system:node', 'system:bosun-local-path-provisioner']);

/** The bootstrap bindings for an apiserver with (`nodeAuthorizer`) or without the Node authorizer. */
export function bootstrapClusterRoleBindings(nodeAuthorizer: boolean): readonly BootstrapClusterRoleBinding[] {
  if (!nodeAuthorizer) return BOOTSTRAP_CLUSTER_ROLE_BINDINGS;
  return BOOTSTRAP_CLUSTER_ROLE_BINDINGS.map((b) => (NODE_GROUP_BINDINGS.has(b.name) ? { ...b, groups: (b.groups ?? []).filter((g) => g !== NODES_GROUP) } : b));
}
