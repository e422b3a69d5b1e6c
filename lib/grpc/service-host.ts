import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, ServingStatusMap } from 'grpc-health-check';
import * as path from 'node:path';

/** Where the .proto sources live at run time (for server reflection). */
export const PROTO_DIR = path.resolve(__dirname, '..', '..', '..', 'proto');

/**
 * A gRPC server the way every Bosun component serves: the component's services, server
 * reflection (so `grpcurl list/describe` needs no proto files) and grpc.health.v1.Health.
 */
export class ServiceHost {
  readonly server: grpc.Server;
  readonly health: HealthImplementation;

  /** `protoFiles` are paths under proto/ whose services this host exposes through reflection. */
  constructor(protoFiles: string[], options: grpc.ServerOptions = {}, healthStatus: ServingStatusMap = { '': 'SERVING' }) {
    this.server = new grpc.Server(options);
    const definition = protoLoader.loadSync(protoFiles, {
      includeDirs: [PROTO_DIR],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    new ReflectionService(definition).addToServer(this.server);
    this.health = new HealthImplementation(healthStatus);
    this.health.addToServer(this.server);
  }

  addService<Impl extends grpc.UntypedServiceImplementation>(definition: grpc.ServiceDefinition, impl: Impl): void {
    this.server.addService(definition, impl);
  }

  /** Binds host:port (port 0 = any free port) and resolves with the bound port. */
  listen(hostPort: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(hostPort, grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) reject(new Error(`cannot listen on ${hostPort}: ${err.message}`));
        else resolve(port);
      });
    });
  }

  /** Stops accepting calls; ends the open ones after `graceMs`. */
  shutdown(graceMs = 2000): Promise<void> {
    return new Promise((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
