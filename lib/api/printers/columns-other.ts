/**
 * Table columns of coordination, RBAC, scheduling, policy, discovery, networking and storage kinds, and the fallback for kinds without a
 * printer.
 */
import type { KubeObject } from '../object';
import { formatRFC3339, translateTimestampSince } from './age';
import { loadBalancerIngress } from './columns-core';
import { rec, recs, str } from './fields';
import { AGE_COLUMN, NAME_COLUMN, column, type KindPrinter, type PrintContext } from './types';

function age(obj: KubeObject, ctx: PrintContext): string {
  return translateTimestampSince(obj.metadata?.creationTimestamp, ctx.now);
}

function name(obj: KubeObject): string {
  return str(obj.metadata?.name);
}

const lease: KindPrinter = {
  group: 'coordination.k8s.io',
  kind: 'Lease',
  columns: [NAME_COLUMN, column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), AGE_COLUMN],
  cells: (obj, ctx) => [name(obj), str(rec(obj.spec).holderIdentity), age(obj, ctx)],
};

/** The apiserver's default Table columns (kinds with no printer of their own, such as Role). */
const CREATED_AT_COLUMNS = [NAME_COLUMN, column('Created At', 'date', AGE_COLUMN.description)];

function createdAtCells(obj: KubeObject): (string | null)[] {
  return [name(obj), formatRFC3339(obj.metadata?.creationTimestamp) ?? null];
}

const role: KindPrinter = { group: 'rbac.authorization.k8s.io', kind: 'Role', columns: CREATED_AT_COLUMNS, cells: createdAtCells };
const clusterRole: KindPrinter = { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', columns: CREATED_AT_COLUMNS, cells: createdAtCells };

/** Users, groups and service accounts (`ns/name`) among a binding's subjects. */
export function bindingSubjects(binding: KubeObject): { users: string[]; groups: string[]; serviceAccounts: string[] } {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const s of recs(binding.subjects)) {
    switch (str(s.kind)) {
      case 'User':
        users.push(str(s.name));
        break;
      case 'Group':
        groups.push(str(s.name));
        break;
      case 'ServiceAccount':
        serviceAccounts.push(`${str(s.namespace)}/${str(s.name)}`);
        break;
      default:
        break;
    }
  }
  return { users, groups, serviceAccounts };
}

function bindingPrinter(kind: string, what: string): KindPrinter {
  return {
    group: 'rbac.authorization.k8s.io',
    kind,
    columns: [
      NAME_COLUMN,
      column('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
      AGE_COLUMN,
      column('Users', 'string', `Users in the ${what}`, 1),
      column('Groups', 'string', `Groups in the ${what}`, 1),
      column('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, 1),
    ],
    cells(obj, ctx) {
      const ref = rec(obj.roleRef);
      const s = bindingSubjects(obj);
      return [name(obj), `${str(ref.kind)}/${str(ref.name)}`, age(obj, ctx), s.users.join(', '), s.groups.join(', '), s.serviceAccounts.join(', ')];
    },
  };
}

const priorityClass: KindPrinter = {
  group: 'scheduling.k8s.io',
  kind: 'PriorityClass',
  columns: [
    NAME_COLUMN,
    column('Value', 'integer', 'value represents the integer value of this priority class.'),
    column('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.'),
    AGE_COLUMN,
    column('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority.'),
  ],
  cells: (obj, ctx) => [
    name(obj),
    typeof obj.value === 'number' ? Math.trunc(obj.value) : 0,
    obj.globalDefault === true,
    age(obj, ctx),
    str(obj.preemptionPolicy),
  ],
};

/** An IntOrString bound as kubectl prints it: the number or percentage, N/A when unset. */
function bound(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : 'N/A';
}

const podDisruptionBudget: KindPrinter = {
  group: 'policy',
  kind: 'PodDisruptionBudget',
  columns: [
    NAME_COLUMN,
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE_COLUMN,
  ],
  cells: (obj, ctx) => {
    const spec = rec(obj.spec);
    const allowed = rec(obj.status).disruptionsAllowed;
    return [name(obj), bound(spec.minAvailable), bound(spec.maxUnavailable), typeof allowed === 'number' ? Math.trunc(allowed) : 0, age(obj, ctx)];
  },
};

/** How many ports or addresses an EndpointSlice row shows before "+ N more...". */
const MAX_SLICE_ITEMS_SHOWN = 3;

/** Joins the first shown items of `count`, `<unset>` when there are none (kubectl's listWithMoreString). */
function listWithMore(list: string[], count: number): string {
  if (count > list.length) return `${list.join(',')} + ${count - list.length} more...`;
  return list.length ? list.join(',') : '<unset>';
}

/** EndpointSlice PORTS: each port's number (its name, or `*` for all ports), first three. */
export function formatSlicePorts(slice: KubeObject): string {
  const ports = recs(slice.ports);
  const shown = ports.slice(0, MAX_SLICE_ITEMS_SHOWN).map((p) => (typeof p.port === 'number' ? String(p.port) : str(p.name) || '*'));
  return listWithMore(shown, ports.length);
}

/** EndpointSlice ENDPOINTS: the addresses of all endpoints, first three. */
export function formatSliceEndpoints(slice: KubeObject): string {
  const addresses = recs(slice.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(str) : []));
  return listWithMore(addresses.slice(0, MAX_SLICE_ITEMS_SHOWN), addresses.length);
}

const endpointSlice: KindPrinter = {
  group: 'discovery.k8s.io',
  kind: 'EndpointSlice',
  columns: [
    NAME_COLUMN,
    column('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
    column('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    AGE_COLUMN,
  ],
  cells: (obj, ctx) => [name(obj), str(obj.addressType), formatSlicePorts(obj), formatSliceEndpoints(obj), age(obj, ctx)],
};

/** How many rule hosts an Ingress row shows before "+ N more...". */
const MAX_INGRESS_HOSTS_SHOWN = 3;

/** Ingress HOSTS: the hosts of the first rules (kubectl's formatHosts), `*` when no rule names one. */
export function formatIngressHosts(ingress: KubeObject): string {
  const rules = recs(rec(ingress.spec).rules);
  const hosts = rules.slice(0, MAX_INGRESS_HOSTS_SHOWN).map((r) => str(r.host)).filter((h) => h !== '');
  if (hosts.length === 0) return '*';
  const more = rules.length - MAX_INGRESS_HOSTS_SHOWN;
  return more > 0 ? `${hosts.join(',')} + ${more} more...` : hosts.join(',');
}

const ingress: KindPrinter = {
  group: 'networking.k8s.io',
  kind: 'Ingress',
  columns: [
    NAME_COLUMN,
    column('Class', 'string', 'The name of the IngressClass resource.'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE_COLUMN,
  ],
  cells: (obj, ctx) => [
    name(obj),
    str(rec(obj.spec).ingressClassName) || '<none>',
    formatIngressHosts(obj),
    loadBalancerIngress(obj.status, true), // wide, as server-side tables are
    recs(rec(obj.spec).tls).length > 0 ? '80, 443' : '80',
    age(obj, ctx),
  ],
};

/** IngressClass PARAMETERS: `Kind[.apiGroup]/name`, `<none>` without parameters. */
export function formatIngressClassParameters(cls: KubeObject): string {
  const p = rec(cls.spec).parameters;
  if (p === undefined || p === null) return '<none>';
  const params = rec(p);
  const group = str(params.apiGroup);
  return `${str(params.kind)}${group ? `.${group}` : ''}/${str(params.name)}`;
}

const ingressClass: KindPrinter = {
  group: 'networking.k8s.io',
  kind: 'IngressClass',
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller that is in charge of handling this class.'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters.'),
    AGE_COLUMN,
  ],
  cells: (obj, ctx) => [name(obj), str(rec(obj.spec).controller), formatIngressClassParameters(obj), age(obj, ctx)],
};

/** StorageClass NAME: the name, with " (default)" after the default class's (kubectl's printStorageClass). */
export function formatStorageClassName(cls: KubeObject): string {
  const isDefault = cls.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true';
  return isDefault ? `${name(cls)} (default)` : name(cls);
}

const storageClass: KindPrinter = {
  group: 'storage.k8s.io',
  kind: 'StorageClass',
  columns: [
    NAME_COLUMN,
    column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    column('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
    column('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    column('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    AGE_COLUMN,
  ],
  cells: (obj, ctx) => [
    formatStorageClassName(obj),
    str(obj.provisioner),
    str(obj.reclaimPolicy) || 'Delete',
    str(obj.volumeBindingMode) || 'Immediate',
    obj.allowVolumeExpansion === true ? 'true' : 'false',
    age(obj, ctx),
  ],
};

/** Printers of coordination, RBAC, scheduling, policy, discovery and networking kinds. */
export const OTHER_PRINTERS: readonly KindPrinter[] = [
  lease,
  role,
  clusterRole,
  bindingPrinter('RoleBinding', 'roleBinding'),
  bindingPrinter('ClusterRoleBinding', 'clusterRoleBinding'),
  priorityClass,
  podDisruptionBudget,
  endpointSlice,
  ingress,
  ingressClass,
  storageClass,
];

/** Printer for kinds with none of their own: NAME and AGE. */
export function defaultPrinter(kind: string, group = ''): KindPrinter {
  return { group, kind, columns: [NAME_COLUMN, AGE_COLUMN], cells: (obj, ctx) => [name(obj), age(obj, ctx)] };
}
