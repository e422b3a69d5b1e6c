import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import { grpcChannelCredentials, type GrpcClientTls } from '../../lib/grpc/tls';

/**
 * What grpcurl does, from Node: a client built from a .proto at run time, and the server
 * reflection exchange (`list`, `describe`).
 */

/** The repository's node_modules (for the .proto files shipped with packages). */
export const NODE_MODULES = path.resolve(__dirname, '..', '..', '..', 'node_modules');

/** A client of a service described by a .proto file, loaded at run time like grpcurl would; TLS checked against `tls.caCert` when given (grpcurl -cacert), else plain text. */
export function clientFor(protoFile: string, includeDir: string, service: string, endpoint: string, tls?: GrpcClientTls): grpc.Client & Record<string, Function> {
  const def = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile, { includeDirs: [includeDir], keepCase: true, defaults: true, enums: String }));
  const Ctor = service.split('.').reduce((o: any, k) => o[k], def) as typeof grpc.Client;
  return new Ctor(endpoint, grpcChannelCredentials(tls)) as grpc.Client & Record<string, Function>;
}

/** One request/response exchange on the reflection stream. */
export function reflect(client: grpc.Client & Record<string, Function>, req: object): Promise<any> {
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on('data', (res: unknown) => {
      resolve(res);
      call.end();
    });
    call.on('error', reject);
    call.write(req);
  });
}

/** A client of the server reflection service (`v1alpha` or `v1`) of `endpoint` (TLS as in {@link clientFor}). */
export function reflectionClient(version: 'v1alpha' | 'v1', endpoint: string, tls?: GrpcClientTls): grpc.Client & Record<string, Function> {
  const dir = path.join(NODE_MODULES, '@grpc', 'reflection', 'build', 'proto');
  return clientFor(`grpc/reflection/${version}/reflection.proto`, dir, `grpc.reflection.${version}.ServerReflection`, endpoint, tls);
}
