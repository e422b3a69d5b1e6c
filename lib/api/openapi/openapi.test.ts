import { expect } from 'chai';
import { fromProto, toProto } from '../proto/convert';
import { findProtoKind } from '../proto/kinds';
import type { JsonSchema } from './definitions';
import { openApiV2, openApiV3Group } from './documents';
import { contentHash, openApiDocuments, openApiResponse, openApiV3Index } from './openapi-documents';
import { groupVersionPath } from './paths';
import { servedResources } from './test-resources';

const RESOURCES = servedResources();
const V2 = openApiV2(RESOURCES);
const V2_DEFS = V2.definitions as Record<string, JsonSchema>;
const APPS = openApiV3Group(RESOURCES, 'apis/apps/v1')!;
const APPS_SCHEMAS = (APPS.components as { schemas: Record<string, JsonSchema> }).schemas;

function prop(defs: Record<string, JsonSchema>, name: string, ...path: string[]): JsonSchema {
  let schema = defs[name];
  expect(schema, name).to.be.an('object');
  for (const key of path) {
    schema = (schema!.properties as Record<string, JsonSchema>)[key];
    expect(schema, `${name}.${key}`).to.be.an('object');
  }
  return schema!;
}

/** The definition name a property points at, through `$ref`, `allOf`, array items or map values. */
function target(schema: JsonSchema): string {
  const ref = (schema.$ref ?? (schema.allOf as JsonSchema[] | undefined)?.[0]?.$ref
    ?? (schema.items as JsonSchema | undefined)?.$ref ?? (schema.additionalProperties as JsonSchema | undefined)?.$ref) as string;
  expect(ref, JSON.stringify(schema)).to.be.a('string');
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** Every `$ref` string anywhere in `doc`. */
function refs(doc: unknown, out: string[] = []): string[] {
  if (Array.isArray(doc)) doc.forEach((d) => refs(d, out));
  else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      if (k === '$ref') out.push(v as string);
      else refs(v, out);
    }
  }
  return out;
}

/**
 * A small validator for the JSON convert.ts produces: every key must be a property, every value
 * of the declared type (refs followed; oneOf tried in turn). Returns the paths that fail.
 */
function violations(defs: Record<string, JsonSchema>, schema: JsonSchema, value: unknown, path = ''): string[] {
  if (typeof schema.$ref === 'string') return violations(defs, defs[(schema.$ref as string).split('/').pop()!]!, value, path);
  if (Array.isArray(schema.allOf)) return (schema.allOf as JsonSchema[]).flatMap((s) => violations(defs, s, value, path));
  if (Array.isArray(schema.oneOf)) {
    return (schema.oneOf as JsonSchema[]).some((s) => violations(defs, s, value, path).length === 0) ? [] : [`${path}: no oneOf matches`];
  }
  if (schema.format === 'int-or-string') { // Swagger 2.0 writes IntOrString as a string with this format
    return Number.isInteger(value) || typeof value === 'string' ? [] : [`${path}: not an int or string`];
  }
  switch (schema.type) {
    case 'string': return typeof value === 'string' ? [] : [`${path}: not a string`];
    case 'integer': return Number.isInteger(value) ? [] : [`${path}: not an integer`];
    case 'number': return typeof value === 'number' ? [] : [`${path}: not a number`];
    case 'boolean': return typeof value === 'boolean' ? [] : [`${path}: not a boolean`];
    case 'array':
      if (!Array.isArray(value)) return [`${path}: not an array`];
      return value.flatMap((v, i) => violations(defs, schema.items as JsonSchema, v, `${path}[${i}]`));
    case 'object': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${path}: not an object`];
      const props = schema.properties as Record<string, JsonSchema> | undefined;
      const extra = schema.additionalProperties as JsonSchema | undefined;
      if (!props && !extra) return [];
      return Object.entries(value).flatMap(([k, v]) => {
        const s = props?.[k] ?? extra;
        return s ? violations(defs, s, v, `${path}.${k}`) : [`${path}.${k}: unknown field`];
      });
    }
    default:
      return [`${path}: schema without type ${JSON.stringify(schema)}`];
  }
}

describe('openapi documents', () => {
  it('gives every served kind and its list a definition with x-kubernetes-group-version-kind (v2 and v3)', () => {
    expect(RESOURCES.length).to.be.greaterThan(20);
    for (const r of RESOURCES) {
      const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
      for (const kind of [r.kind, `${r.kind}List`]) {
        const message = findProtoKind(apiVersion, kind)!.message;
        const name = 'io.k8s.' + message.slice('k8s.io.'.length);
        const gvk = [{ group: r.group, kind, version: r.version }];
        expect(V2_DEFS[name]?.['x-kubernetes-group-version-kind'], name).to.deep.equal(gvk);
        const v3 = openApiV3Group(RESOURCES, groupVersionPath(r))!;
        expect((v3.components as { schemas: Record<string, JsonSchema> }).schemas[name]?.['x-kubernetes-group-version-kind'], name)
          .to.deep.equal(gvk);
      }
      expect(prop(V2_DEFS, `io.k8s.${findProtoKind(apiVersion, r.kind)!.message.slice(7)}`, 'apiVersion').type).to.equal('string');
    }
  });

  it('names definitions like Kubernetes', () => {
    expect(V2_DEFS).to.include.keys('io.k8s.api.apps.v1.Deployment', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.api.core.v1.PodSpec', 'io.k8s.apimachinery.pkg.util.intstr.IntOrString', 'io.k8s.apimachinery.pkg.api.resource.Quantity');
    expect(target(prop(V2_DEFS, 'io.k8s.api.apps.v1.Deployment', 'metadata'))).to.equal('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    expect(target(prop(APPS_SCHEMAS, 'io.k8s.api.apps.v1.Deployment', 'spec'))).to.equal('io.k8s.api.apps.v1.DeploymentSpec');
  });

  it('carries patch metadata: Deployment.spec.template.spec.containers merges by name', () => {
    for (const defs of [V2_DEFS, APPS_SCHEMAS]) {
      const podTemplate = target(prop(defs, 'io.k8s.api.apps.v1.DeploymentSpec', 'template'));
      const podSpec = target(prop(defs, podTemplate, 'spec'));
      const containers = prop(defs, podSpec, 'containers');
      expect(containers['x-kubernetes-patch-merge-key']).to.equal('name');
      expect(containers['x-kubernetes-patch-strategy']).to.equal('merge');
      expect(containers.type).to.equal('array');
      expect(target(containers)).to.equal('io.k8s.api.core.v1.Container');
      expect(prop(defs, 'io.k8s.api.core.v1.PodSpec', 'volumes')['x-kubernetes-patch-strategy']).to.equal('merge,retainKeys');
      expect(prop(defs, 'io.k8s.api.apps.v1.DeploymentSpec', 'strategy')['x-kubernetes-patch-strategy']).to.equal('retainKeys');
      expect(prop(defs, 'io.k8s.api.core.v1.Container', 'ports')['x-kubernetes-patch-merge-key']).to.equal('containerPort');
    }
  });

  it('describes IntOrString, Quantity, Time, RawExtension and bytes as their JSON, not their messages', () => {
    const ios = V2_DEFS['io.k8s.apimachinery.pkg.util.intstr.IntOrString']!;
    expect(ios).to.include({ type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true });
    expect(ios).not.to.have.property('properties');
    const ios3 = APPS_SCHEMAS['io.k8s.apimachinery.pkg.util.intstr.IntOrString']!;
    expect(ios3.oneOf).to.deep.equal([{ type: 'integer' }, { type: 'string' }]);
    expect(ios3['x-kubernetes-int-or-string']).to.equal(true);
    expect(V2_DEFS['io.k8s.apimachinery.pkg.api.resource.Quantity']).to.include({ type: 'string' });
    expect(APPS_SCHEMAS['io.k8s.apimachinery.pkg.api.resource.Quantity']!.oneOf).to.deep.equal([{ type: 'string' }, { type: 'number' }]);
    expect(V2_DEFS['io.k8s.apimachinery.pkg.apis.meta.v1.Time']).to.include({ type: 'string', format: 'date-time' });
    expect(V2_DEFS['io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime']).to.include({ type: 'string', format: 'date-time' });
    expect(V2_DEFS['io.k8s.apimachinery.pkg.runtime.RawExtension']).to.include({ type: 'object' });
    expect(prop(V2_DEFS, 'io.k8s.api.core.v1.Secret', 'data').additionalProperties).to.deep.equal({ type: 'string', format: 'byte' });
    expect(prop(V2_DEFS, 'io.k8s.api.apps.v1.DeploymentSpec', 'replicas')).to.include({ type: 'integer', format: 'int32' });
    expect(prop(V2_DEFS, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'generation')).to.include({ type: 'integer', format: 'int64' });
  });

  it('flattens Go-inlined members into the parent (Volume.configMap, Probe.httpGet, ConfigMapVolumeSource.name)', () => {
    expect(prop(V2_DEFS, 'io.k8s.api.core.v1.Volume').properties).to.include.keys('name', 'configMap', 'emptyDir');
    expect(prop(V2_DEFS, 'io.k8s.api.core.v1.Volume').properties).not.to.have.key('volumeSource');
    expect(prop(V2_DEFS, 'io.k8s.api.core.v1.Probe').properties).to.include.keys('httpGet', 'exec', 'initialDelaySeconds');
    expect(prop(V2_DEFS, 'io.k8s.api.core.v1.ConfigMapVolumeSource').properties).to.include.keys('name', 'items');
    expect(V2_DEFS).not.to.have.property('io.k8s.api.core.v1.VolumeSource');
  });

  it('carries upstream descriptions and +required fields', () => {
    expect(prop(V2_DEFS, 'io.k8s.api.apps.v1.DeploymentSpec', 'replicas').description).to.match(/^Number of desired pods\./);
    expect(V2_DEFS['io.k8s.api.apps.v1.Deployment']!.description).to.match(/declarative updates for Pods and ReplicaSets/);
    expect(prop(V2_DEFS, 'io.k8s.api.apps.v1.Deployment', 'kind').description).to.match(/REST resource this object represents/);
    expect(V2_DEFS['io.k8s.api.apps.v1.DeploymentSpec']!.required).to.deep.equal(['selector', 'template']);
    const described = prop(APPS_SCHEMAS, 'io.k8s.api.apps.v1.DeploymentSpec', 'template');
    expect(described.allOf).to.deep.equal([{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec' }]);
    expect(described.description).to.match(/^Template describes the pods/);
  });

  it('resolves every $ref in the v2 document and in each v3 group document', () => {
    for (const r of refs(V2)) {
      expect(r).to.match(/^#\/definitions\//);
      expect(V2_DEFS, r).to.have.property(r.slice('#/definitions/'.length));
    }
    const docs = openApiDocuments(RESOURCES);
    for (const gv of docs.groupVersions()) {
      const doc = JSON.parse(docs.v3Group(gv)!.text) as JsonSchema;
      const schemas = (doc.components as { schemas: Record<string, JsonSchema> }).schemas;
      const all = refs(doc);
      expect(all.length, gv).to.be.greaterThan(0);
      for (const r of all) {
        expect(r).to.match(/^#\/components\/schemas\//);
        expect(schemas, `${gv}: ${r}`).to.have.property(r.slice('#/components/schemas/'.length));
      }
      for (const [name, s] of Object.entries(schemas)) {
        expect(s.type !== undefined || s.oneOf !== undefined, name).to.equal(true);
      }
    }
  });

  it('describes exactly the JSON convert.ts produces (a Deployment round-tripped through protobuf)', () => {
    const deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, creationTimestamp: '2024-01-02T03:04:05Z', generation: 3 },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [{
              name: 'web', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }],
              resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: 1 } },
              readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
              env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }],
              volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }],
            }],
            volumes: [{ name: 'cfg', configMap: { name: 'cm', defaultMode: 420 } }, { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }],
          },
        },
      },
      status: { conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2024-01-02T03:04:05Z' }] },
    };
    const kind = findProtoKind('apps/v1', 'Deployment')!;
    const unknown: string[] = [];
    const json = fromProto(kind, toProto(kind, deployment, { unknownFields: unknown }));
    expect(unknown).to.deep.equal([]);
    for (const [defs, name] of [[V2_DEFS, 'io.k8s.api.apps.v1.Deployment'], [APPS_SCHEMAS, 'io.k8s.api.apps.v1.Deployment']] as const) {
      expect(violations(defs, defs[name]!, json)).to.deep.equal([]);
      // Input may be laxer than output (`cpu: 1`): v3 says so with oneOf; v2 keeps Kubernetes' `type: string`.
      if (defs === APPS_SCHEMAS) expect(violations(defs, defs[name]!, deployment)).to.deep.equal([]);
      expect(violations(defs, defs[name]!, { ...deployment, spec: { replicas: 'x' } })).to.have.length(1);
      expect(violations(defs, defs[name]!, { ...deployment, spec: { bogus: 1 } })).to.deep.equal(['.spec.bogus: unknown field']);
    }
  });

  it('gives each resource paths whose patch operation has its GVK and the fieldValidation parameter', () => {
    for (const r of RESOURCES) {
      const doc = openApiV3Group(RESOURCES, groupVersionPath(r))!;
      const paths = doc.paths as Record<string, Record<string, JsonSchema>>;
      const base = '/' + groupVersionPath(r) + (r.namespaced ? '/namespaces/{namespace}/' : '/') + r.resource;
      const patch = paths[`${base}/{name}`]?.patch;
      expect(patch, base).to.be.an('object');
      expect(patch!['x-kubernetes-group-version-kind']).to.deep.equal({ group: r.group, kind: r.kind, version: r.version });
      expect((patch!.parameters as JsonSchema[]).map((p) => p.name)).to.include('fieldValidation');
      expect(paths[base]?.post?.['x-kubernetes-action']).to.equal('post');
      const v2paths = V2.paths as Record<string, Record<string, JsonSchema>>;
      expect(v2paths[`${base}/{name}`]?.patch?.['x-kubernetes-group-version-kind'], base).to.deep.equal(patch!['x-kubernetes-group-version-kind']);
    }
    expect(Object.keys(APPS.paths as object).every((p) => p.startsWith('/apis/apps/v1/'))).to.equal(true);
  });

  it('indexes v3 group versions with stable content hashes and serves them', () => {
    const index = openApiV3Index(RESOURCES);
    expect(Object.keys(index.paths)).to.include.members(['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/rbac.authorization.k8s.io/v1']);
    const docs = openApiDocuments(RESOURCES);
    expect(openApiDocuments([...RESOURCES])).to.equal(docs);
    const apps = docs.v3Group('apis/apps/v1')!;
    expect(apps.hash).to.equal(contentHash(JSON.stringify(openApiV3Group(RESOURCES, 'apis/apps/v1'))));
    expect(apps.hash).to.match(/^[0-9A-F]{128}$/);
    expect(index.paths['apis/apps/v1']!.serverRelativeURL).to.equal(`/openapi/v3/apis/apps/v1?hash=${apps.hash}`);
    expect(docs.v3Group('apis/nope/v1')).to.equal(undefined);

    const hit = openApiResponse(docs, '/openapi/v3/apis/apps/v1', new URLSearchParams({ hash: apps.hash }), 'application/json')!;
    expect(hit.status).to.equal(200);
    expect(hit.body).to.equal(apps.text);
    expect(hit.headers['Cache-Control']).to.equal('public, immutable');
    expect(openApiResponse(docs, '/openapi/v3', new URLSearchParams(), 'application/json')!.body).to.equal(JSON.stringify(index));
    expect(openApiResponse(docs, '/openapi/v3/apis/nope/v1', new URLSearchParams(), undefined)!.status).to.equal(404);
    const v2json = openApiResponse(docs, '/openapi/v2', new URLSearchParams(), 'application/json')!;
    expect(JSON.parse(v2json.body as string)).to.deep.equal(openApiV2(RESOURCES));
    expect(openApiResponse(docs, '/api/v1', new URLSearchParams(), undefined)).to.equal(undefined);
  });

  it('gives a kind without a protobuf message an open definition and paths', () => {
    const widget = { group: 'example.com', version: 'v1', kind: 'Widget', resource: 'widgets', namespaced: true };
    const doc = openApiV3Group([widget], 'apis/example.com/v1')!;
    const schemas = (doc.components as { schemas: Record<string, JsonSchema> }).schemas;
    expect(schemas['com.example.v1.Widget']).to.include({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(Object.keys(doc.paths as object)).to.include('/apis/example.com/v1/namespaces/{namespace}/widgets/{name}');
  });
});
