"""Writes proto/k8s/**.proto and lib/api/proto/schema.ts from Kubernetes' generated.proto files.

Only protocol facts are taken (message names, field names, numbers, types, labels); the closure
of the root kinds below is emitted, split into focused files per package. Usage:
  UP=/dir/with/upstream python3 scripts/k8s-proto-extract.py proto/k8s lib/api/proto/schema.ts
where UP holds the directories of PKGS below (k8s.io/api: core/v1, apps/v1, ...; k8s.io/apimachinery:
pkg/apis/meta/v1, pkg/runtime, ...) each with its generated.proto, and GO (default UP/go) holds
the Go types of the same packages (see KEEP_ZERO at the end). From bare clones of k8s.io/api and
k8s.io/apimachinery, e.g.: git -C api show HEAD:rbac/v1/generated.proto > $UP/rbac/v1/generated.proto
and git -C api show HEAD:rbac/v1/types.go > $UP/go/rbac_v1.go.
"""
import re, os, sys, collections
UP = os.environ.get('UP', '/tmp/up')
PKGS = {
  'k8s.io.apimachinery.pkg.apis.meta.v1': 'pkg/apis/meta/v1',
  'k8s.io.apimachinery.pkg.runtime': 'pkg/runtime',
  'k8s.io.apimachinery.pkg.api.resource': 'pkg/api/resource',
  'k8s.io.apimachinery.pkg.util.intstr': 'pkg/util/intstr',
  'k8s.io.api.core.v1': 'core/v1', 'k8s.io.api.apps.v1': 'apps/v1', 'k8s.io.api.batch.v1': 'batch/v1',
  'k8s.io.api.autoscaling.v1': 'autoscaling/v1', 'k8s.io.api.autoscaling.v2': 'autoscaling/v2',
  'k8s.io.api.coordination.v1': 'coordination/v1', 'k8s.io.api.rbac.v1': 'rbac/v1',
  'k8s.io.api.scheduling.v1': 'scheduling/v1', 'k8s.io.api.policy.v1': 'policy/v1',
  'k8s.io.api.discovery.v1': 'discovery/v1',
  'k8s.io.api.authorization.v1': 'authorization/v1', 'k8s.io.api.authentication.v1': 'authentication/v1',
  'k8s.io.api.discovery.v1': 'discovery/v1', 'k8s.io.api.networking.v1': 'networking/v1',
  'k8s.io.api.storage.v1': 'storage/v1',
}
msgs = {}   # full name -> list of (label, type(full or scalar), name, number, mapval)
SCALARS = {'string','bool','int32','int64','bytes','double','float','uint32','uint64','sint32','sint64','fixed32','fixed64'}
for pkg, d in PKGS.items():
    cur = None; depth = 0
    for l in open(f'{UP}/{d}/generated.proto'):
        s = l.strip()
        if s.startswith('//') or not s: continue
        m = re.match(r'message (\w+) \{', s)
        if m and depth == 0: cur = pkg + '.' + m.group(1); msgs[cur] = []; depth = 1; continue
        if not cur: continue
        depth += s.count('{') - s.count('}')
        if depth == 0: cur = None; continue
        m = re.match(r'map<(\w+), ([\w.]+)> (\w+) = (\d+);', s)
        if m:
            msgs[cur].append(('map', m.group(2), m.group(3), int(m.group(4)), m.group(1))); continue
        m = re.match(r'(optional|repeated) ([\w.]+) (\w+) = (\d+);', s)
        assert m, s
        msgs[cur].append((m.group(1), m.group(2), m.group(3), int(m.group(4)), None))
def resolve(pkg, t):
    if t in SCALARS: return t
    if t.startswith('.'): return t[1:]
    return pkg + '.' + t
for full, fields in msgs.items():
    pkg = full.rsplit('.', 1)[0]
    msgs[full] = [(lab, resolve(pkg, t), n, num, mk) for (lab, t, n, num, mk) in fields]

M = 'k8s.io.apimachinery.pkg.apis.meta.v1.'; C = 'k8s.io.api.core.v1.'; A = 'k8s.io.api.apps.v1.'; B = 'k8s.io.api.batch.v1.'
AS1 = 'k8s.io.api.autoscaling.v1.'; AS2 = 'k8s.io.api.autoscaling.v2.'; CO = 'k8s.io.api.coordination.v1.'
R = 'k8s.io.api.rbac.v1.'; S = 'k8s.io.api.scheduling.v1.'; P = 'k8s.io.api.policy.v1.'
D = 'k8s.io.api.discovery.v1.'
AZ = 'k8s.io.api.authorization.v1.'; AN = 'k8s.io.api.authentication.v1.'
D = 'k8s.io.api.discovery.v1.'; N = 'k8s.io.api.networking.v1.'
ST = 'k8s.io.api.storage.v1.'
ROOTS = [M + x for x in 'ObjectMeta ListMeta OwnerReference Time MicroTime LabelSelector LabelSelectorRequirement Status StatusDetails StatusCause DeleteOptions Preconditions ManagedFieldsEntry TypeMeta Condition Duration'.split()]
# Discovery documents and the watch stream's event.
ROOTS += [M + x for x in 'APIResource APIResourceList APIGroup APIGroupList APIVersions GroupVersionForDiscovery ServerAddressByClientCIDR WatchEvent'.split()]
ROOTS += ['k8s.io.apimachinery.pkg.runtime.' + x for x in ['Unknown', 'RawExtension', 'TypeMeta']]
ROOTS += ['k8s.io.apimachinery.pkg.api.resource.Quantity', 'k8s.io.apimachinery.pkg.util.intstr.IntOrString']
for k in 'Namespace ConfigMap Secret ServiceAccount Service Pod Event Endpoints Node PersistentVolumeClaim PersistentVolume ReplicationController ResourceQuota LimitRange'.split():
    ROOTS += [C + k, C + k + 'List']
ROOTS += [C + 'PodTemplateSpec', C + 'PodTemplate', C + 'PodTemplateList', C + 'Binding']
for k in 'Deployment ReplicaSet DaemonSet StatefulSet ControllerRevision'.split(): ROOTS += [A + k, A + k + 'List']
for k in 'Job CronJob'.split(): ROOTS += [B + k, B + k + 'List']
ROOTS += [AS1 + 'Scale', AS1 + 'HorizontalPodAutoscaler', AS1 + 'HorizontalPodAutoscalerList', AS2 + 'HorizontalPodAutoscaler', AS2 + 'HorizontalPodAutoscalerList']
ROOTS += [CO + 'Lease', CO + 'LeaseList', S + 'PriorityClass', S + 'PriorityClassList']
ROOTS += [P + 'PodDisruptionBudget', P + 'PodDisruptionBudgetList', P + 'Eviction']
ROOTS += [D + 'EndpointSlice', D + 'EndpointSliceList']
# The access reviews (answered, never stored): kubectl auth can-i and whoami.
ROOTS += [AZ + k for k in 'SelfSubjectAccessReview SubjectAccessReview LocalSubjectAccessReview SelfSubjectRulesReview'.split()] + [AN + 'SelfSubjectReview']
for k in 'Ingress IngressClass'.split(): ROOTS += [N + k, N + k + 'List']
for k in 'Role RoleBinding ClusterRole ClusterRoleBinding'.split(): ROOTS += [R + k, R + k + 'List']
ROOTS += [ST + 'StorageClass', ST + 'StorageClassList']
# Every message is emitted whole. A field is left out only when its type lives in a package
# outside PKGS (today batch/v1 JobSchedulingConfiguration's scheduling/v1alpha3 members, alpha).
# Proto field names that differ from the JSON key (the wire carries only the number): named as in JSON.
JSON_NAMES = {'aPIGroup': 'apiGroup'}
def json_name(name):
    return JSON_NAMES.get(name, name)
def fields_of(full):
    return [f for f in msgs[full] if f[1] in SCALARS or f[1] in msgs]
seen = []; todo = list(ROOTS)
while todo:
    x = todo.pop(0)
    if x in seen: continue
    assert x in msgs, x
    seen.append(x)
    for f in fields_of(x):
        if f[1] not in SCALARS: todo.append(f[1])
# file of each message
def core_file(n):
    FILES = {
      'namespace': 'Namespace NamespaceSpec NamespaceStatus NamespaceCondition NamespaceList'.split(),
      'replication-controller': 'ReplicationController ReplicationControllerList ReplicationControllerSpec ReplicationControllerStatus ReplicationControllerCondition'.split(),
      'resource-quota': 'ResourceQuota ResourceQuotaList ResourceQuotaSpec ResourceQuotaStatus ScopeSelector ScopedResourceSelectorRequirement'.split(),
      'limit-range': 'LimitRange LimitRangeList LimitRangeSpec LimitRangeItem'.split(),
      'config': 'ConfigMap ConfigMapList Secret SecretList ServiceAccount ServiceAccountList'.split(),
      'references': 'ObjectReference LocalObjectReference TypedLocalObjectReference TypedObjectReference SecretReference'.split(),
      'service': ['Service','ServiceSpec','ServicePort','ServiceStatus','ServiceList','LoadBalancerStatus','LoadBalancerIngress','PortStatus','SessionAffinityConfig','ClientIPConfig'],
      'event': 'Event EventList EventSource EventSeries'.split(),
      'endpoints': 'Endpoints EndpointsList EndpointSubset EndpointAddress EndpointPort'.split(),
      'node': [x for x in ['Node','NodeList','NodeSpec','NodeStatus','Taint','NodeCondition','NodeAddress','NodeDaemonEndpoints','DaemonEndpoint','NodeSystemInfo','ContainerImage','AttachedVolume','NodeSwapStatus','ConfigMapNodeConfigSource']],
      'persistent-volume-claim': [x for x in seen if x.startswith(C + 'PersistentVolumeClaim') and x != C + 'PersistentVolumeClaimVolumeSource'] + ['VolumeResourceRequirements', 'ModifyVolumeStatus'],
      'persistent-volume': 'PersistentVolume PersistentVolumeList PersistentVolumeSpec PersistentVolumeStatus PersistentVolumeSource LocalVolumeSource VolumeNodeAffinity'.split(),
      'volume': ['Volume','VolumeSource','HostPathVolumeSource','EmptyDirVolumeSource','SecretVolumeSource','PersistentVolumeClaimVolumeSource','DownwardAPIVolumeSource','ConfigMapVolumeSource','ProjectedVolumeSource','VolumeProjection','SecretProjection','DownwardAPIProjection','ConfigMapProjection','ServiceAccountTokenProjection','ClusterTrustBundleProjection','PodCertificateProjection','KeyToPath','DownwardAPIVolumeFile'],
      'probe': ['Probe','ProbeHandler','ExecAction','HTTPGetAction','HTTPHeader','TCPSocketAction','GRPCAction','Lifecycle','LifecycleHandler','SleepAction'],
      'resources': ['ResourceRequirements','ResourceClaim','ResourceFieldSelector','ObjectFieldSelector'],
      'container': 'Container EphemeralContainer EphemeralContainerCommon ContainerPort EnvVar EnvFromSource EnvVarSource ConfigMapEnvSource SecretEnvSource ConfigMapKeySelector SecretKeySelector FileKeySelector ContainerResizePolicy ContainerRestartRule ContainerRestartRuleOnExitCodes VolumeMount VolumeDevice'.split(),
      'security': 'SecurityContext PodSecurityContext SELinuxOptions WindowsSecurityContextOptions SeccompProfile AppArmorProfile Capabilities Sysctl'.split(),
      'affinity': 'Affinity NodeAffinity PodAffinity PodAntiAffinity NodeSelector NodeSelectorTerm NodeSelectorRequirement PreferredSchedulingTerm PodAffinityTerm WeightedPodAffinityTerm Toleration TopologySpreadConstraint TopologySelectorTerm TopologySelectorLabelRequirement'.split(),
      'pod-status': 'PodStatus PodCondition HostIP PodIP ContainerStatus ContainerState ContainerStateWaiting ContainerStateRunning ContainerStateTerminated VolumeMountStatus ContainerUser LinuxContainerUser ResourceStatus ResourceHealth PodResourceClaimStatus PodExtendedResourceClaimStatus ContainerExtendedResourceRequest NodeAllocatableResourceClaimStatus NodeAllocatableMappedResources NodeAllocatableOverheadResources PodVolumeHealth VolumeHealthStatus VolumeHealthCondition VolumeStatus ImageVolumeStatus'.split(),
    }
    short = n[len(C):]
    for f, names in FILES.items():
        if short in names or n in names: return f
    # The sources only a PersistentVolume has (CSIPersistentVolumeSource, ...); every other volume
    # source (a pod's, or shared by both, like NFSVolumeSource) in volume; the rest of Node's parts.
    if short.endswith('PersistentVolumeSource'): return 'persistent-volume'
    if short.endswith('VolumeSource'): return 'volume'
    if short.startswith('Node'): return 'node'
    return 'pod'
# Outside core/v1: package -> [(file, message name prefixes)], first match wins; '' matches all.
PKG_FILES = {
  M: [('apimachinery/meta/v1/discovery', ['API', 'GroupVersionForDiscovery', 'ServerAddressByClientCIDR', 'Verbs']),
      ('apimachinery/meta/v1/watch', ['WatchEvent']), ('apimachinery/meta/v1/meta', [''])],
  'k8s.io.apimachinery.pkg.runtime.': [('apimachinery/runtime/runtime', [''])],
  'k8s.io.apimachinery.pkg.api.resource.': [('apimachinery/resource/quantity', [''])],
  'k8s.io.apimachinery.pkg.util.intstr.': [('apimachinery/intstr/intstr', [''])],
  A: [('api/apps/v1/deployment', ['Deployment', 'RollingUpdateDeployment']), ('api/apps/v1/replica-set', ['ReplicaSet']),
      ('api/apps/v1/daemon-set', ['DaemonSet', 'RollingUpdateDaemonSet']),
      ('api/apps/v1/stateful-set', ['StatefulSet', 'RollingUpdateStatefulSetStrategy']),
      ('api/apps/v1/controller-revision', ['ControllerRevision'])],
  B: [('api/batch/v1/batch', [''])],
  AS1: [('api/autoscaling/v1/horizontal-pod-autoscaler', ['HorizontalPodAutoscaler', 'CrossVersionObjectReference']), ('api/autoscaling/v1/scale', [''])],
  AS2: [('api/autoscaling/v2/horizontal-pod-autoscaler', [''])],
  CO: [('api/coordination/v1/lease', [''])],
  R: [('api/rbac/v1/role-binding', ['RoleBinding', 'ClusterRoleBinding', 'Subject', 'RoleRef']),
      ('api/rbac/v1/role', ['Role', 'ClusterRole', 'PolicyRule', 'AggregationRule'])],
  S: [('api/scheduling/v1/priority-class', [''])],
  P: [('api/policy/v1/eviction', ['Eviction']), ('api/policy/v1/pod-disruption-budget', [''])],
  D: [('api/discovery/v1/endpoint-slice', [''])],
  AZ: [('api/authorization/v1/access-review', [''])],
  AN: [('api/authentication/v1/self-subject-review', [''])],
  N: [('api/networking/v1/ingress-class', ['IngressClass']), ('api/networking/v1/ingress', [''])],
  ST: [('api/storage/v1/storage-class', [''])],
}
def file_of(n):
    pkg, short = n.rsplit('.', 1)
    if pkg + '.' == C: return 'api/core/v1/' + core_file(n)
    for f, prefixes in PKG_FILES[pkg + '.']:
        if any(short.startswith(p) for p in prefixes): return f
    raise AssertionError('no file for ' + n)
byfile = collections.OrderedDict()
for n in seen: byfile.setdefault(file_of(n), []).append(n)
deps = {}
for f, ns in byfile.items():
    deps[f] = sorted({file_of(t) for n in ns for (_, t, _, _, _) in fields_of(n) if t not in SCALARS} - {f})
# cycle check
def visit(f, stack):
    assert f not in stack, ' -> '.join(stack + [f])
    for d in deps[f]: visit(d, stack + [f])
for f in byfile: visit(f, [])
DESC = {
 'apimachinery/meta/v1/meta': 'Object and list metadata, label selectors, Status and DeleteOptions of apimachinery meta/v1.',
 'apimachinery/meta/v1/discovery': 'The discovery documents of apimachinery meta/v1: API groups, versions and resources.',
 'apimachinery/meta/v1/watch': 'One event of a watch stream (apimachinery meta/v1), the object embedded as raw bytes.',
 'apimachinery/runtime/runtime': 'The runtime envelope (Unknown) and embedded raw objects.',
 'apimachinery/resource/quantity': 'Resource quantities ("100m", "128Mi") carried as their canonical string.',
 'apimachinery/intstr/intstr': 'A value that is either an int32 or a string (ports, "25%").',
}
out = sys.argv[1]
for f, ns in byfile.items():
    pkg = ns[0].rsplit('.', 1)[0]
    lines = ['// Written by scripts/k8s-proto-extract.py from the protocol facts of Kubernetes\'',
             '// generated.proto (message, field names, numbers, types): Kubernetes\' own wire format.',
             '// ' + DESC.get(f, 'Kubernetes %s: %s.' % (pkg.split('k8s.io.api.')[-1].replace('.', '/'), os.path.basename(f).replace('-', ' '))),
             'syntax = "proto2";', '', 'package %s;' % pkg, '']
    for d in deps[f]: lines.append('import "k8s/%s.proto";' % d)
    if deps[f]: lines.append('')
    for n in ns:
        lines.append('message %s {' % n.rsplit('.', 1)[1])
        for (lab, t, name, num, mk) in fields_of(n):
            tt = t if t in SCALARS else ('.' + t if t.rsplit('.', 1)[0] != pkg else t.rsplit('.', 1)[1])
            name = json_name(name)
            if lab == 'map': lines.append('  map<%s, %s> %s = %d;' % (mk, tt, name, num))
            else: lines.append('  %s %s %s = %d;' % (lab, tt, name, num))
        lines.append('}'); lines.append('')
    p = os.path.join(out, f + '.proto'); os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, 'w').write('\n'.join(lines).rstrip() + '\n')
    print(p, len(ns))

# Go facts from types.go (GO=dir holding, for each k8s.io/api package of PKGS, its types.go named like
# core_v1.go or autoscaling_v2.go, and apimachinery's meta/v1 types.go and watch.go as meta.go and
# meta_watch.go): scalar fields whose zero value is kept in JSON (a pointer, like replicas, or a
# field without omitempty).
KEEP_ZERO = set()
GO = os.environ.get('GO', UP + '/go')
GO_FILES = [(d.replace('/', '_'), pkg) for pkg, d in PKGS.items() if pkg.startswith('k8s.io.api.')]
GO_FILES += [('meta', M[:-1]), ('meta_watch', M[:-1])]
for gf, pkg in GO_FILES:
    struct = None
    for l in open(f'{GO}/{gf}.go'):
        m = re.match(r'type (\w+) struct \{', l)
        if m: struct = m.group(1); continue
        if l.startswith('}'): struct = None; continue
        m = re.match(r'\s+\w+ (\*?)[\w.\[\]]+ `json:"([^"]*)"[^`]*protobuf:"[^"]*name=(\w+)', l)
        if struct and m and (m.group(1) == '*' or 'omitempty' not in m.group(2)):
            KEEP_ZERO.add('%s.%s.%s' % (pkg, struct, m.group(3)))

# The field table the JSON converter walks (lib/api/proto/convert.ts).
schema = ['// Written by scripts/k8s-proto-extract.py: do not edit. For each message of proto/k8s, its',
          '// fields as [name, shape, type] (see FieldShape).',
          '/** Field table of the Kubernetes messages in proto/k8s, by fully-qualified message name. */',
          'export const K8S_MESSAGE_FIELDS: Readonly<Record<string, ReadonlyArray<readonly [string, FieldShape, string]>>> = {']
for n in seen:
    fs = []
    for (lab, t, name, num, mk) in fields_of(n):
        shape = 'M' if lab == 'map' else 'l' if lab == 'repeated' else 'm' if t not in SCALARS else 'p' if '%s.%s' % (n, name) in KEEP_ZERO else 's'
        fs.append("['%s', '%s', '%s']" % (json_name(name), shape, t))
    schema.append("  '%s': [%s]," % (n, ', '.join(fs)))
schema.append('};')
schema.append('')
schema.append('/**')
schema.append(' * s = scalar whose zero value JSON omits (Go omitempty); p = scalar whose zero value JSON keeps')
schema.append(' * (a Go pointer such as replicas, or no omitempty); m = message; l = repeated; M = map<string, type>.')
schema.append(' */')
schema.append("export type FieldShape = 's' | 'p' | 'm' | 'l' | 'M';")
open(sys.argv[2], 'w').write('\n'.join(schema) + '\n')
