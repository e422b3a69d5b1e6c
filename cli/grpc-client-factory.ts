/** The ApiClient of the real binary: a GrpcApiClient dialing the connection's endpoints as its user. */
import type { ApiClient } from '../lib/client/api-client';
import type { Connection } from '../lib/client/kubeconfig';
import { grpcClientFor } from '../lib/client/kubeconfig-client';
import type { ClientFactory } from './cli-env';

/** Builds a GrpcApiClient for `conn` (the kubeconfig's bosun.dev/grpc endpoints, or --server) sending its user's token. */
export const grpcClientFactory: ClientFactory = (conn: Connection): ApiClient => grpcClientFor(conn);
