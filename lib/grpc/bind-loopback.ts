import * as grpc from '@grpc/grpc-js';

/** Binds `server` to a free port on 127.0.0.1 (insecure, as tests' in-process servers are); resolves with the port. */
export function bindLoopback(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
}
