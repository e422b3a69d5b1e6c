/**
 * A client of the apiserver's PodStreams gRPC service (container logs and exec) for a resolved
 * connection: its endpoints, its user's bearer token — the streaming counterpart of
 * GrpcApiClient, used by `bosun logs` and `bosun exec`.
 */
import * as grpc from '@grpc/grpc-js';
import { PodStreamsClient } from '../../gen/bosun/api/streams/v1/streams';
import { bearerTokenInterceptor, channelTarget } from './grpc-api-client';

/** What a PodStreams client needs of a connection. */
export interface StreamsConnection {
  readonly endpoints: readonly string[];
  readonly token?: string;
}

/** A PodStreams client over its own channel (close() it when done). */
export function podStreamsClient(conn: StreamsConnection): PodStreamsClient {
  if (conn.endpoints.length === 0) throw new Error('podStreamsClient: no endpoints');
  const interceptors = conn.token !== undefined ? [bearerTokenInterceptor(conn.token)] : [];
  return new PodStreamsClient(channelTarget(conn.endpoints), grpc.credentials.createInsecure(), { interceptors });
}
