/**
 * The Swagger 2.0 document (documents.ts, JSON data) as gnostic's `openapi.v2.Document` protocol
 * buffer — the form Kubernetes serves at /openapi/v2 for
 * `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, and the only form
 * kubectl asks for there (proto/openapi/v2/openapi-v2.proto says how JSON maps onto it).
 *
 * kubectl reads it when the OpenAPI v3 documents do not settle a question: whether a kind it
 * cannot find in v3 (a misspelt `kind:`, a custom kind) supports server-side field validation,
 * client-side schema validation, and `kubectl explain --output plaintext-openapiv2`. Without it,
 * `kubectl apply -f` of a misspelt kind fails with "failed to download openapi" instead of
 * kubectl's own "no matches for kind".
 *
 * The conversion is table-driven: one table per message, keyed by JSON key (which is also the
 * field's name in the generated TypeScript, except `$ref`, which is `Ref`). A key no table knows
 * is a broken invariant — the document builder wrote something this encoder cannot carry — and
 * throws rather than being dropped silently.
 *
 * Free-form values (vendor extensions, `default`, `example`, `enum` members) travel as YAML text.
 * They are written as JSON, which YAML parsers read as the same value; every string is quoted, so
 * YAML 1.1 readers (Go's yaml.v2, which kubectl uses) cannot mistake "yes" or "on" for a boolean.
 * Characters YAML treats as line breaks or forbids unescaped are escaped.
 */
import { Document } from '../../../gen/openapi/v2/openapi-v2';
import type { JsonSchema } from './definitions';

/** Converts one JSON value at `where` (a JSON path for error messages) to its message form. */
type Convert = (value: unknown, where: string) => unknown;

/** Characters a JSON text leaves raw that YAML would fold (U+0085, U+2028, U+2029) or refuses (C1 controls, DEL, BOM). */
const YAML_UNSAFE = /[\u007f-\u009f\u2028\u2029\ufeff]/g;

function unexpected(where: string, what: string): Error {
  return new Error(`OpenAPI v2 to protobuf: ${what} at ${where}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (!isRecord(value)) throw unexpected(where, 'expected an object');
  return value;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw unexpected(where, 'expected a list');
  return value;
}

const str: Convert = (v, where) => {
  if (typeof v !== 'string') throw unexpected(where, 'expected a string');
  return v;
};

const bool: Convert = (v, where) => {
  if (typeof v !== 'boolean') throw unexpected(where, 'expected a boolean');
  return v;
};

const num: Convert = (v, where) => {
  if (typeof v !== 'number') throw unexpected(where, 'expected a number');
  return v;
};

const strs: Convert = (v, where) => list(v, where).map((s, i) => str(s, `${where}[${i}]`));

/** Any JSON value as an `Any` carrying YAML text (see the module comment). */
const any: Convert = (v) => ({ yaml: JSON.stringify(v).replace(YAML_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) });

const anys: Convert = (v, where) => list(v, where).map((x) => any(x, where));

function namedAny(name: string, value: unknown): unknown {
  return { name, value: any(value, name) };
}

/** A list of converted values. */
function repeated(item: Convert): Convert {
  return (v, where) => list(v, where).map((x, i) => item(x, `${where}[${i}]`));
}

/** An object with free-form keys as a list of `{name, value}`. */
function named(value: Convert): Convert {
  return (v, where) => Object.entries(record(v, where)).map(([name, x]) => ({ name, value: value(x, `${where}.${name}`) }));
}

/** A message holding only `additionalProperties`: the named entries of a free-form object. */
function namedEntries(value: Convert): Convert {
  const entries = named(value);
  return (v, where) => ({ additionalProperties: entries(v, where) });
}

/**
 * A message with the fields of `fields` (JSON key → conversion); `x-…` keys become
 * `vendorExtension` entries unless `extensions` is false.
 */
function message(fields: Readonly<Record<string, Convert>>, extensions = true): Convert {
  return (v, where) => {
    const out: Record<string, unknown> = {};
    const vendor: unknown[] = [];
    for (const [key, x] of Object.entries(record(v, where))) {
      if (extensions && key.startsWith('x-')) {
        vendor.push(namedAny(key, x));
        continue;
      }
      const convert = Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
      if (!convert) throw unexpected(`${where}.${key}`, 'a key this encoder does not know');
      out[key === '$ref' ? 'Ref' : key] = convert(x, `${where}.${key}`);
    }
    if (vendor.length > 0) out.vendorExtension = vendor;
    return out;
  };
}

/**
 * A message whose free-form keys are entries of `field` (paths, responses by code), next to
 * vendor extensions.
 */
function namedWithExtensions(field: string, value: Convert): Convert {
  return (v, where) => {
    const entries: unknown[] = [];
    const vendor: unknown[] = [];
    for (const [name, x] of Object.entries(record(v, where))) {
      if (name.startsWith('x-')) vendor.push(namedAny(name, x));
      else entries.push({ name, value: value(x, `${where}.${name}`) });
    }
    return { [field]: entries, vendorExtension: vendor };
  };
}

/** A oneof: `choose` names the member a JSON value is. */
function oneOf(choose: (v: Record<string, unknown>, where: string) => [member: string, convert: Convert]): Convert {
  return (v, where) => {
    const [member, convert] = choose(record(v, where), where);
    return { [member]: convert(v, where) };
  };
}

// ---- Tables (messages in the order of the .proto file) ----

const externalDocs = message({ description: str, url: str });
const info = message({
  title: str, version: str, description: str, termsOfService: str,
  contact: message({ name: str, url: str, email: str }),
  license: message({ name: str, url: str }),
});
const tag = message({ name: str, description: str, externalDocs });
const jsonReference = message({ $ref: str, description: str }, false);
const securityRequirement = namedEntries((v, where) => ({ value: strs(v, where) }));

/** The fields every non-body parameter, header and `items` of those share. */
const PRIMITIVE_FIELDS: Readonly<Record<string, Convert>> = {
  type: str, format: str, items: (v, where) => primitivesItems(v, where), collectionFormat: str, default: any,
  maximum: num, exclusiveMaximum: bool, minimum: num, exclusiveMinimum: bool, maxLength: num, minLength: num,
  pattern: str, maxItems: num, minItems: num, uniqueItems: bool, enum: anys, multipleOf: num,
};
const primitivesItems: Convert = message(PRIMITIVE_FIELDS);
const PARAMETER_FIELDS: Readonly<Record<string, Convert>> = { ...PRIMITIVE_FIELDS, required: bool, in: str, description: str, name: str };
const withEmptyValue = message({ ...PARAMETER_FIELDS, allowEmptyValue: bool });
const withoutEmptyValue = message(PARAMETER_FIELDS);

const NON_BODY_MEMBERS: Readonly<Record<string, [string, Convert]>> = {
  header: ['headerParameterSubSchema', withoutEmptyValue],
  formData: ['formDataParameterSubSchema', withEmptyValue],
  query: ['queryParameterSubSchema', withEmptyValue],
  path: ['pathParameterSubSchema', withoutEmptyValue],
};
const nonBodyParameter = oneOf((v, where) => {
  const member = typeof v.in === 'string' && Object.prototype.hasOwnProperty.call(NON_BODY_MEMBERS, v.in) ? NON_BODY_MEMBERS[v.in] : undefined;
  if (!member) throw unexpected(`${where}.in`, `an unknown parameter location ${JSON.stringify(v.in)}`);
  return member;
});
const bodyParameter = message({ description: str, name: str, in: str, required: bool, schema: (v, where) => schema(v, where) });
const parameter = oneOf((v) => (v.in === 'body' ? ['bodyParameter', bodyParameter] : ['nonBodyParameter', nonBodyParameter]));
const parametersItem = oneOf((v) => (v.$ref !== undefined ? ['jsonReference', jsonReference] : ['parameter', parameter]));

const header = message({ ...PRIMITIVE_FIELDS, description: str });
const fileSchema = message({
  format: str, title: str, description: str, default: any, required: strs, type: str, readOnly: bool, externalDocs, example: any,
});
const schemaItem = oneOf((v) => (v.type === 'file' ? ['fileSchema', fileSchema] : ['schema', (x, where) => schema(x, where)]));
const response = message({
  description: str, schema: schemaItem, headers: namedEntries(header),
  examples: (v, where) => ({ additionalProperties: Object.entries(record(v, where)).map(([name, x]) => namedAny(name, x)) }),
});
const responseValue = oneOf((v) => (v.$ref !== undefined ? ['jsonReference', jsonReference] : ['response', response]));
const responses = namedWithExtensions('responseCode', responseValue);

const operation = message({
  tags: strs, summary: str, description: str, externalDocs, operationId: str, produces: strs, consumes: strs,
  parameters: repeated(parametersItem), responses, schemes: strs, deprecated: bool, security: repeated(securityRequirement),
});
const pathItem = message({
  $ref: str, get: operation, put: operation, post: operation, delete: operation, options: operation, head: operation,
  patch: operation, parameters: repeated(parametersItem),
});

const schema: Convert = message({
  $ref: str, format: str, title: str, description: str, default: any, multipleOf: num, maximum: num, exclusiveMaximum: bool,
  minimum: num, exclusiveMinimum: bool, maxLength: num, minLength: num, pattern: str, maxItems: num, minItems: num,
  uniqueItems: bool, maxProperties: num, minProperties: num, required: strs, enum: anys,
  additionalProperties: (v, where) => (typeof v === 'boolean' ? { boolean: v } : { schema: schema(v, where) }),
  type: (v, where) => ({ value: typeof v === 'string' ? [v] : strs(v, where) }),
  items: (v, where) => ({ schema: Array.isArray(v) ? repeated(schema)(v, where) : [schema(v, where)] }),
  allOf: repeated((v, where) => schema(v, where)),
  properties: (v, where) => namedEntries(schema)(v, where),
  discriminator: str, readOnly: bool,
  xml: message({ name: str, namespace: str, prefix: str, attribute: bool, wrapped: bool }),
  externalDocs, example: any,
});

const scopes = (v: unknown, where: string): unknown => ({
  additionalProperties: Object.entries(record(v, where)).map(([name, x]) => ({ name, value: str(x, `${where}.${name}`) })),
});
const OAUTH2_FLOWS: Readonly<Record<string, [string, Convert]>> = {
  implicit: ['oauth2ImplicitSecurity', message({ type: str, flow: str, scopes, authorizationUrl: str, description: str })],
  password: ['oauth2PasswordSecurity', message({ type: str, flow: str, scopes, tokenUrl: str, description: str })],
  application: ['oauth2ApplicationSecurity', message({ type: str, flow: str, scopes, tokenUrl: str, description: str })],
  accessCode: ['oauth2AccessCodeSecurity', message({ type: str, flow: str, scopes, authorizationUrl: str, tokenUrl: str, description: str })],
};
const securityDefinitionsItem = oneOf((v, where) => {
  if (v.type === 'basic') return ['basicAuthenticationSecurity', message({ type: str, description: str })];
  if (v.type === 'apiKey') return ['apiKeySecurity', message({ type: str, name: str, in: str, description: str })];
  const flow = v.type === 'oauth2' && typeof v.flow === 'string' && Object.prototype.hasOwnProperty.call(OAUTH2_FLOWS, v.flow) ? OAUTH2_FLOWS[v.flow] : undefined;
  if (!flow) throw unexpected(where, `an unknown security scheme ${JSON.stringify(v.type)}`);
  return flow;
});

const document = message({
  swagger: str, info, host: str, basePath: str, schemes: strs, consumes: strs, produces: strs,
  paths: namedWithExtensions('path', pathItem),
  definitions: namedEntries(schema),
  parameters: namedEntries(parameter),
  responses: namedEntries(response),
  security: repeated(securityRequirement),
  securityDefinitions: namedEntries(securityDefinitionsItem),
  tags: repeated(tag), externalDocs,
});

/**
 * The protobuf encoding of a Swagger 2.0 document. Throws (a server bug, not a client error)
 * when the document holds a key or a shape the encoder does not know.
 */
export function encodeOpenApiV2(swagger: JsonSchema): Uint8Array {
  return Document.encode(Document.fromPartial(document(swagger, '$') as Document)).finish();
}
