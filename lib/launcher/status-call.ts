import * as grpc from '@grpc/grpc-js';
import { grpcChannelCredentials, type GrpcClientTls } from '../grpc/tls';

/** How long one status call to a launched component may take. */
export const STATUS_CALL_TIMEOUT_MS = 2_000;

/** A generated grpc-js client with a unary `status` call (every component's status API has one). */
interface StatusClient<Res> extends grpc.Client {
  status(request: object, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, callback: (err: grpc.ServiceError | null, res: Res) => void): grpc.ClientUnaryCall;
}

/**
 * Calls `Status` once on `endpoint` with a fresh client of `Client` (TLS checked against
 * `tls.caCert` when given, else plain text), closing it afterwards. `request` must name every field of the request message: the generated encoders
 * write an absent string field as the text "undefined".
 */
export function callStatus<Res>(Client: new (address: string, credentials: grpc.ChannelCredentials) => StatusClient<Res>, endpoint: string, request: object = {}, tls?: GrpcClientTls): Promise<Res> {
  const client = new Client(endpoint, grpcChannelCredentials(tls));
  return new Promise<Res>((resolve, reject) =>
    client.status(request, new grpc.Metadata(), { deadline: new Date(Date.now() + STATUS_CALL_TIMEOUT_MS) }, (err, res) => (err ? reject(err) : resolve(res))),
  ).finally(() => client.close());
}
