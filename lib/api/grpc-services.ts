import type * as grpc from '@grpc/grpc-js';
import type { ResourceInfo } from './object';

/**
 * Where the generated gRPC service of each API kind lives (written by scripts/gen-api-protos.js
 * into proto/bosun/api, compiled by ts-proto into gen/bosun/api): the same naming rules as the
 * script, used by the apiserver to serve and by clients to call.
 */

/** Short name of a group in proto packages and paths: "" -> core, "rbac.authorization.k8s.io" -> rbac. */
export function groupDir(group: string): string {
  return group === '' ? 'core' : group.split('.')[0]!;
}

/** The gRPC service name of a kind: its plural in CamelCase (Pods, Endpoints, PriorityClasses). */
export function serviceName(info: Pick<ResourceInfo, 'kind' | 'resource'>): string {
  const { kind, resource } = info;
  return resource.startsWith(kind.toLowerCase()) ? kind + resource.slice(kind.length) : kind + 's';
}

/** Fully-qualified gRPC service name, e.g. "bosun.api.apps.v1.Deployments". */
export function fullServiceName(info: Pick<ResourceInfo, 'group' | 'version' | 'kind' | 'resource'>): string {
  return `bosun.api.${groupDir(info.group)}.${info.version}.${serviceName(info)}`;
}

/** The .proto file (under proto/) defining the kind's service. */
export function serviceProtoFile(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  const dir = groupDir(info.group);
  return `bosun/api/${dir}/${info.version}/${dir}.proto`;
}

/** The generated module of the kind's group/version. */
function generatedModule(info: Pick<ResourceInfo, 'group' | 'version'>): Record<string, unknown> {
  const dir = groupDir(info.group);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`../../gen/bosun/api/${dir}/${info.version}/${dir}`) as Record<string, unknown>;
}

/** The generated grpc-js service definition of a kind; throws when the kind has no service. */
export function serviceDefinition(info: Pick<ResourceInfo, 'group' | 'version' | 'kind' | 'resource'>): grpc.ServiceDefinition {
  const def = generatedModule(info)[`${serviceName(info)}Service`];
  if (!def) throw new Error(`no generated gRPC service for ${fullServiceName(info)}`);
  return def as grpc.ServiceDefinition;
}

/** The generated grpc-js client constructor of a kind. */
export function clientConstructor(info: Pick<ResourceInfo, 'group' | 'version' | 'kind' | 'resource'>): grpc.ServiceClientConstructor {
  const ctor = generatedModule(info)[`${serviceName(info)}Client`];
  if (!ctor) throw new Error(`no generated gRPC client for ${fullServiceName(info)}`);
  return ctor as grpc.ServiceClientConstructor;
}
