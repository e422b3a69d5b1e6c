/**
 * A client of the apiserver's PodStreams gRPC service (container logs and exec) for a resolved
 * connection: its endpoints, its user's bearer token — the streaming counterpart of
 * GrpcApiClient, used by `bosun logs` and `bosun exec`.
 */
import { PodStreamsClient } from '../../gen/bosun/api/streams/v1/streams';
import { bearerTokenInterceptor, channelTarget } from './grpc-api-client';
import { grpcChannelCredentials } from '../grpc/tls';
import { connectionTls } from './kubeconfig-client';

/** What a PodStreams client needs of a connection. */
export interface StreamsConnection {
  readonly endpoints: readonly string[];
  readonly token?: string;
  /** Base64 PEM of the cluster CA (TLS when set) and the user's client certificate. */
  readonly caData?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
}

/** A PodStreams client over its own channel (close() it when done). */
export function podStreamsClient(conn: StreamsConnection): PodStreamsClient {
  if (conn.endpoints.length === 0) throw new Error('podStreamsClient: no endpoints');
  const interceptors = conn.token !== undefined ? [bearerTokenInterceptor(conn.token)] : [];
  return new PodStreamsClient(channelTarget(conn.endpoints), grpcChannelCredentials(connectionTls(conn)), { interceptors });
}
