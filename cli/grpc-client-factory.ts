/**
 * The ApiClient of the real binary: GrpcApiClient dialing the connection's endpoints. Loaded at
 * run time so the CLI builds before lib/client/grpc-api-client.ts exists; once it does, this
 * can become a static import (see the comment in grpcClientFactory).
 */
import type { ApiClient } from '../lib/client/api-client';
import type { Connection } from '../lib/client/kubeconfig';
import { CliError, type ClientFactory } from './cli-env';

interface GrpcApiClientModule {
  GrpcApiClient: new (opts: { endpoints: string[] }) => ApiClient;
}

/** Builds a GrpcApiClient for `conn`. */
export const grpcClientFactory: ClientFactory = (conn: Connection): ApiClient => {
  // With lib/client/grpc-api-client.ts in place this is simply:
  //   return new GrpcApiClient({ endpoints: conn.endpoints });
  let mod: Partial<GrpcApiClientModule>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('../lib/client/grpc-api-client') as Partial<GrpcApiClientModule>;
  } catch {
    throw new CliError('error: this build of bosun has no gRPC API client (lib/client/grpc-api-client.ts is missing)');
  }
  if (typeof mod.GrpcApiClient !== 'function') throw new CliError('error: lib/client/grpc-api-client does not export GrpcApiClient');
  return new mod.GrpcApiClient({ endpoints: conn.endpoints });
};
