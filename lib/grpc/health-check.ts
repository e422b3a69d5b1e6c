/**
 * One grpc.health.v1.Health/Check call: how launchers and tests see that a component's gRPC
 * server is up without credentials (health is open on every Bosun server, as /healthz is).
 */
import * as grpc from '@grpc/grpc-js';
import { HEALTH_SERVICE, HEALTH_SERVICE_NAME } from './health-service';
import { grpcChannelCredentials, type GrpcClientTls } from './tls';

const HealthClient = grpc.makeClientConstructor(HEALTH_SERVICE, HEALTH_SERVICE_NAME);

/** Resolves with the serving status of `service` ('' = the whole server) at `endpoint`; rejects on any call error. */
export function checkHealth(endpoint: string, tls: GrpcClientTls | undefined, timeoutMs: number, service = ''): Promise<string> {
  const client = new HealthClient(endpoint, grpcChannelCredentials(tls));
  const check = client.check as unknown as (req: { service: string }, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: { status?: string | number }) => void) => void;
  return new Promise<string>((resolve, reject) =>
    check.call(client, { service }, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(String(res?.status)))),
  ).finally(() => client.close());
}
