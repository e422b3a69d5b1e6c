#!/usr/bin/env node
// Writes proto/bosun/api/<group>/<version>/<group>.proto: one gRPC service per API kind
// (Create, Get, List, Update, UpdateStatus, Patch, Delete, DeleteCollection, Watch, plus Bind /
// GetScale / UpdateScale / PatchScale where the kind has them), with typed request and event
// messages carrying Kubernetes' own protobuf messages (proto/k8s). The files are committed
// (readable, usable with grpcurl -proto); services/apiserver/grpc/api-protos.test.ts checks they
// match this script and the apiserver's resource table. Run: node scripts/gen-api-protos.js
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

// [group, version, kind, resource, hasStatus, extra subresources]
const RESOURCES = [
  ['', 'v1', 'Namespace', 'namespaces', true, ['finalize']],
  ['', 'v1', 'Node', 'nodes', true, []],
  ['', 'v1', 'Pod', 'pods', true, ['binding', 'eviction']],
  ['', 'v1', 'Service', 'services', true, []],
  ['', 'v1', 'Endpoints', 'endpoints', false, []],
  ['', 'v1', 'ConfigMap', 'configmaps', false, []],
  ['', 'v1', 'Secret', 'secrets', false, []],
  ['', 'v1', 'ServiceAccount', 'serviceaccounts', false, ['token']],
  ['', 'v1', 'Event', 'events', false, []],
  ['', 'v1', 'PersistentVolume', 'persistentvolumes', true, []],
  ['', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, []],
  ['', 'v1', 'ReplicationController', 'replicationcontrollers', true, ['scale']],
  ['', 'v1', 'ResourceQuota', 'resourcequotas', true, []],
  ['', 'v1', 'LimitRange', 'limitranges', false, []],
  ['apps', 'v1', 'Deployment', 'deployments', true, ['scale']],
  ['apps', 'v1', 'ReplicaSet', 'replicasets', true, ['scale']],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', true, []],
  ['apps', 'v1', 'StatefulSet', 'statefulsets', true, ['scale']],
  ['apps', 'v1', 'ControllerRevision', 'controllerrevisions', false, []],
  ['batch', 'v1', 'Job', 'jobs', true, []],
  ['batch', 'v1', 'CronJob', 'cronjobs', true, []],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, []],
  ['coordination.k8s.io', 'v1', 'Lease', 'leases', false, []],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'roles', false, []],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, []],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', false, []],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, []],
  ['scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, []],
  ['policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, []],
  ['discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', false, []],
  ['networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, []],
  ['networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false, []],
  ['storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, []],
];

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** Short name of a group in proto packages and paths: "" -> core, "rbac.authorization.k8s.io" -> rbac. */
function groupDir(group) {
  return group === '' ? 'core' : group.split('.')[0];
}

/** The gRPC service name of a kind: its plural in CamelCase (Pods, Endpoints, PriorityClasses). */
function serviceName(kind, resource) {
  return resource.startsWith(kind.toLowerCase()) ? kind + resource.slice(kind.length) : kind + 's';
}

/** Kubernetes' protobuf package of an API group. */
function k8sPackage(group, version) {
  return `k8s.io.api.${groupDir(group)}.${version}`;
}

/** Every top-level message of proto/k8s: full name -> file (relative to proto/). */
function k8sMessageFiles() {
  const out = new Map();
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.proto')) {
        const text = fs.readFileSync(p, 'utf8');
        const pkg = /^package ([\w.]+);/m.exec(text)[1];
        for (const m of text.matchAll(/^message (\w+) \{/gm)) out.set(`${pkg}.${m[1]}`, path.relative(path.join(root, 'proto'), p));
      }
    }
  };
  walk(path.join(root, 'proto', 'k8s'));
  return out;
}

function render(group, version, resources, files) {
  const pkg = `bosun.api.${groupDir(group)}.${version}`;
  const imports = new Set(['bosun/api/requests.proto', files.get(`${META}.Status`)]);
  const need = (full) => {
    const f = files.get(full);
    if (!f) throw new Error(`gen-api-protos: no message ${full} in proto/k8s`);
    imports.add(f);
    return full;
  };
  const body = [];
  for (const [, , kind, resource, hasStatus, extra] of resources) {
    const k = need(`${k8sPackage(group, version)}.${kind}`);
    const list = need(`${k8sPackage(group, version)}.${kind}List`);
    const svc = serviceName(kind, resource);
    const rpcs = [
      `  // Creates a ${kind}; the namespace comes from the request or the object.`,
      `  rpc Create(Create${kind}Request) returns (${k});`,
      `  rpc Get(bosun.api.GetRequest) returns (${k});`,
      `  rpc List(bosun.api.ListRequest) returns (${list});`,
      `  // Replaces a ${kind} (compare-and-swap when metadata.resourceVersion is set).`,
      `  rpc Update(Update${kind}Request) returns (${k});`,
    ];
    if (hasStatus) rpcs.push(`  // Replaces only the status.`, `  rpc UpdateStatus(Update${kind}Request) returns (${k});`);
    rpcs.push(
      `  rpc Patch(bosun.api.PatchRequest) returns (${k});`,
      `  // Deletes a ${kind}, or marks it for deletion (finalizers, graceful deletion).`,
      `  rpc Delete(bosun.api.DeleteRequest) returns (Delete${kind}Response);`,
      `  // Deletes every ${kind} the list selects; answers what was deleted or marked.`,
      `  rpc DeleteCollection(bosun.api.DeleteCollectionRequest) returns (${list});`,
      `  // ADDED / MODIFIED / DELETED / BOOKMARK events; ERROR (with status) ends the stream.`,
      `  rpc Watch(bosun.api.WatchRequest) returns (stream ${kind}WatchEvent);`,
    );
    if (extra.includes('finalize')) rpcs.push(`  // Replaces only spec.finalizers (the namespace controller's last step).`, `  rpc Finalize(Update${kind}Request) returns (${k});`);
    if (extra.includes('binding')) rpcs.push(`  // Assigns the pod to a node (once).`, `  rpc Bind(Bind${kind}Request) returns (${k});`);
    if (extra.includes('eviction')) {
      rpcs.push(
        `  // Deletes the pod unless that would violate a PodDisruptionBudget (then 429 TooManyRequests).`,
        `  rpc Evict(Evict${kind}Request) returns (${META}.Status);`,
      );
    }
    if (extra.includes('token')) {
      rpcs.push(`  // A signed token for the ServiceAccount (authentication.k8s.io/v1 TokenRequest; nothing is stored).`, `  rpc CreateToken(CreateToken${kind}Request) returns (${need('k8s.io.api.authentication.v1.TokenRequest')});`);
    }
    if (extra.includes('scale')) {
      const scale = need('k8s.io.api.autoscaling.v1.Scale');
      rpcs.push(
        `  rpc GetScale(bosun.api.GetRequest) returns (${scale});`,
        `  rpc UpdateScale(UpdateScale${kind}Request) returns (${scale});`,
        `  // Patches the Scale (not apply); a lost write race is re-read and re-patched.`,
        `  rpc PatchScale(bosun.api.PatchRequest) returns (${scale});`,
      );
    }
    body.push(`// ${group || 'core'}/${version} ${kind}.`, `service ${svc} {`, ...rpcs, '}', '');
    for (const verb of ['Create', 'Update']) {
      body.push(
        `message ${verb}${kind}Request {`,
        '  string namespace = 1;',
        `  ${k} object = 2;`,
        '  bool dry_run = 3;',
        '  string field_manager = 4;',
        '}',
        '',
      );
    }
    body.push(`message Delete${kind}Response {`, `  // The object as last stored.`, `  ${k} object = 1;`, '  // False when the object is only marked (deletionTimestamp set) and still stored.', '  bool deleted = 2;', '}', '');
    body.push(
      `message ${kind}WatchEvent {`,
      '  // ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.',
      '  string type = 1;',
      `  ${k} object = 2;`,
      '  // Why the watch ended, for ERROR events (410 Expired: re-list).',
      `  ${META}.Status status = 3;`,
      '}',
      '',
    );
    if (extra.includes('binding')) {
      body.push(`message Bind${kind}Request {`, '  string namespace = 1;', '  string name = 2;', `  ${need('k8s.io.api.core.v1.Binding')} binding = 3;`, '  bool dry_run = 4;', '}', '');
    }
    if (extra.includes('eviction')) {
      body.push(`message Evict${kind}Request {`, '  string namespace = 1;', '  string name = 2;', `  ${need('k8s.io.api.policy.v1.Eviction')} eviction = 3;`, '  bool dry_run = 4;', '}', '');
    }
    if (extra.includes('token')) {
      body.push(`message CreateToken${kind}Request {`, '  string namespace = 1;', '  string name = 2;', `  k8s.io.api.authentication.v1.TokenRequest token_request = 3;`, '  bool dry_run = 4;', '}', '');
    }
    if (extra.includes('scale')) {
      body.push(`message UpdateScale${kind}Request {`, '  string namespace = 1;', '  string name = 2;', '  k8s.io.api.autoscaling.v1.Scale scale = 3;', '  bool dry_run = 4;', '}', '');
    }
  }
  const header = [
    '// Written by scripts/gen-api-protos.js: do not edit.',
    `// The gRPC services of API group ${group || 'core'}/${version}: one per kind.`,
    'syntax = "proto3";',
    `package ${pkg};`,
    '',
    ...[...imports].sort().map((f) => `import "${f}";`),
    '',
  ];
  return [...header, ...body].join('\n');
}

/** path relative to the repository -> file content, for every generated file. */
function generate() {
  const files = k8sMessageFiles();
  const groups = new Map();
  for (const r of RESOURCES) {
    const key = `${r[0]}|${r[1]}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const out = new Map();
  for (const [key, resources] of groups) {
    const [group, version] = key.split('|');
    out.set(path.join('proto', 'bosun', 'api', groupDir(group), version, `${groupDir(group)}.proto`), render(group, version, resources, files));
  }
  return out;
}

module.exports = { RESOURCES, generate, serviceName, groupDir };

if (require.main === module) {
  for (const [rel, text] of generate()) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
    console.log(`wrote ${rel}`);
  }
}
