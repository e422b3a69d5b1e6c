import type * as grpc from '@grpc/grpc-js';
import type { ServedResource } from '../../../gen/bosun/api/requests';
import { fullServiceName } from '../../../lib/api/grpc-services';
import type { ResourceRest } from '../rest/resource-rest';

/** The verbs every served resource supports. */
export const RESOURCE_VERBS: readonly string[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** The discovery entry of one resource. */
export function servedResource(rest: ResourceRest): ServedResource {
  const i = rest.info;
  return {
    group: i.group,
    version: i.version,
    kind: i.kind,
    resource: i.resource,
    singular: i.singular,
    namespaced: i.namespaced,
    shortNames: [...i.shortNames],
    categories: [...i.categories],
    verbs: [...RESOURCE_VERBS],
    subresources: [...rest.subresources],
    grpcService: fullServiceName(i),
  };
}

/** bosun.api.Discovery: what this apiserver serves. */
export function discoveryServiceImpl(resources: () => readonly ResourceRest[]): grpc.UntypedServiceImplementation {
  return {
    serverResources: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      callback(null, { resources: resources().map(servedResource) });
    },
  };
}
