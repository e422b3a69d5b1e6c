import { expect } from 'chai';
import { Document, type NamedAny, type Operation, type Schema } from '../../../gen/openapi/v2/openapi-v2';
import type { JsonSchema } from './definitions';
import { openApiV2 } from './documents';
import { openApiDocuments, openApiResponse, OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_REQUESTED } from './openapi-documents';
import { encodeOpenApiV2 } from './openapi-v2-protobuf';
import { servedResources } from './test-resources';

const RESOURCES = servedResources();
const V2 = openApiV2(RESOURCES);

/** Vendor extensions back as JSON keys (their YAML text is JSON). */
function extensions(named: readonly NamedAny[]): Record<string, unknown> {
  return Object.fromEntries(named.map((n) => [n.name, JSON.parse(n.value!.yaml) as unknown]));
}

/** A decoded Schema back in its JSON shape, for the fields documents.ts writes. */
function schemaJson(s: Schema): JsonSchema {
  const out: JsonSchema = {};
  if (s.Ref) out.$ref = s.Ref;
  if (s.description) out.description = s.description;
  if (s.type) out.type = s.type.value.length === 1 ? s.type.value[0] : s.type.value;
  if (s.format) out.format = s.format;
  if (s.required.length > 0) out.required = s.required;
  if (s.properties) out.properties = Object.fromEntries(s.properties.additionalProperties.map((p) => [p.name, schemaJson(p.value!)]));
  if (s.items) out.items = schemaJson(s.items.schema[0]!);
  if (s.additionalProperties?.schema) out.additionalProperties = schemaJson(s.additionalProperties.schema);
  if (s.additionalProperties?.boolean !== undefined) out.additionalProperties = s.additionalProperties.boolean;
  if (s.allOf.length > 0) out.allOf = s.allOf.map(schemaJson);
  if (s.default) out.default = JSON.parse(s.default.yaml) as unknown;
  if (s.enum.length > 0) out.enum = s.enum.map((e) => JSON.parse(e.yaml) as unknown);
  return { ...out, ...extensions(s.vendorExtension) };
}

/** The names, locations and GVK of an operation's parameters. */
function operationJson(op: Operation): JsonSchema {
  return {
    parameters: op.parameters.map((p) => {
      const body = p.parameter?.bodyParameter;
      const query = p.parameter?.nonBodyParameter?.queryParameterSubSchema ?? p.parameter?.nonBodyParameter?.pathParameterSubSchema;
      return body ? `${body.in}:${body.name}:${body.schema?.Ref}` : `${query!.in}:${query!.name}:${query!.type}`;
    }),
    ...extensions(op.vendorExtension),
  };
}

describe('OpenAPI v2 as protobuf (gnostic openapi.v2.Document)', () => {
  const decoded = Document.decode(encodeOpenApiV2(V2));

  it('carries every definition with its properties, references, types and extensions', () => {
    const definitions = V2.definitions as Record<string, JsonSchema>;
    expect(decoded.definitions!.additionalProperties.map((d) => d.name)).to.deep.equal(Object.keys(definitions));
    for (const named of decoded.definitions!.additionalProperties) {
      expect(schemaJson(named.value!), named.name).to.deep.equal(definitions[named.name]);
    }
  });

  it('carries every path with the parameters and GVK kubectl reads to learn about fieldValidation', () => {
    const paths = V2.paths as Record<string, Record<string, { parameters?: Array<Record<string, unknown>> } & Record<string, unknown>>>;
    expect(decoded.paths!.path.map((p) => p.name)).to.deep.equal(Object.keys(paths));
    const deployment = decoded.paths!.path.find((p) => p.name === '/apis/apps/v1/namespaces/{namespace}/deployments/{name}')!.value!;
    expect(operationJson(deployment.patch!)).to.deep.include({
      'x-kubernetes-group-version-kind': { group: 'apps', kind: 'Deployment', version: 'v1' },
      'x-kubernetes-action': 'patch',
    });
    expect(operationJson(deployment.patch!).parameters).to.include.members([
      'body:body:#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch', 'query:fieldValidation:string', 'query:force:boolean',
    ]);
    for (const named of decoded.paths!.path) {
      for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
        const op = named.value![method];
        const json = paths[named.name]![method] as { parameters?: Array<Record<string, unknown>> } | undefined;
        expect(op === undefined, `${method} ${named.name}`).to.equal(json === undefined);
        if (op) expect(op.parameters.length, `${method} ${named.name}`).to.equal(json!.parameters?.length ?? 0);
      }
    }
  });

  it('carries info, security and the document-level fields', () => {
    expect(decoded.swagger).to.equal('2.0');
    expect(decoded.info).to.include({ title: 'Kubernetes', version: (V2.info as { version: string }).version });
    expect(decoded.securityDefinitions!.additionalProperties[0]!.value!.apiKeySecurity).to.include({ name: 'authorization', in: 'header', type: 'apiKey' });
    expect(decoded.security[0]!.additionalProperties[0]).to.deep.equal({ name: 'BearerToken', value: { value: [] } });
  });

  it('writes free-form values as quoted JSON text, escaping what YAML would read differently', () => {
    const doc = Document.decode(encodeOpenApiV2({
      swagger: '2.0', definitions: { x: { type: 'string', default: 'yes', enum: ['on', 1, null], description: 'a\u2028b', 'x-note': 'c\u0085d\ufeff' } },
    }));
    const x = doc.definitions!.additionalProperties[0]!.value!;
    expect(x.default!.yaml).to.equal('"yes"');
    expect(x.enum.map((e) => e.yaml)).to.deep.equal(['"on"', '1', 'null']);
    expect(x.description).to.equal('a\u2028b');
    expect(x.vendorExtension[0]!.value!.yaml).to.equal('"c\\u0085d\\ufeff"');
  });

  it('refuses a key it does not know instead of dropping it', () => {
    expect(() => encodeOpenApiV2({ swagger: '2.0', definitions: { x: { type: 'object', nullable: true } } })).to.throw(/\$\.definitions\.x\.nullable/);
    expect(() => encodeOpenApiV2({ swagger: '2.0', paths: { '/a': { get: { parameters: [{ name: 'n', in: 'cookie' }] } } } })).to.throw(/unknown parameter location "cookie"/);
  });

  it('is served for the Accept kubectl sends, JSON for JSON and */*, 406 for anything else', () => {
    const docs = openApiDocuments(RESOURCES);
    const ask = (accept: string | undefined) => openApiResponse(docs, '/openapi/v2', new URLSearchParams(), accept)!;
    const proto = ask(OPENAPI_V2_PROTOBUF_REQUESTED);
    expect(proto.status).to.equal(200);
    expect(proto.headers['Content-Type']).to.equal(OPENAPI_V2_PROTOBUF);
    expect(Document.decode(proto.body as Uint8Array).definitions!.additionalProperties.length).to.equal(Object.keys(V2.definitions as object).length);
    expect(ask(OPENAPI_V2_PROTOBUF).headers['Content-Type']).to.equal(OPENAPI_V2_PROTOBUF);
    expect(proto.headers.ETag).to.equal(ask('application/json').headers.ETag);
    for (const accept of [undefined, 'application/json', '*/*', 'application/json, */*', `${OPENAPI_V2_PROTOBUF};q=0.5, application/json`]) {
      expect(ask(accept).headers['Content-Type'], String(accept)).to.equal('application/json');
    }
    const refused = ask('application/xml');
    expect(refused.status).to.equal(406);
    expect(JSON.parse(refused.body as string)).to.include({ kind: 'Status', reason: 'NotAcceptable', code: 406 });
    expect(openApiResponse(docs, '/openapi/v3', new URLSearchParams(), 'application/xml')!.status).to.equal(200);
    const group = openApiResponse(docs, '/openapi/v3/apis/apps/v1', new URLSearchParams(), 'application/xml')!;
    expect(group.status).to.equal(406);
  });
});

