/** The ApiClient of the real binary: a GrpcApiClient dialing the connection's endpoints. */
import type { ApiClient } from '../lib/client/api-client';
import { GrpcApiClient } from '../lib/client/grpc-api-client';
import type { Connection } from '../lib/client/kubeconfig';
import type { ClientFactory } from './cli-env';

/** Builds a GrpcApiClient for `conn` (the kubeconfig's bosun.dev/grpc endpoints, or --server). */
export const grpcClientFactory: ClientFactory = (conn: Connection): ApiClient => new GrpcApiClient({ endpoints: conn.endpoints });
