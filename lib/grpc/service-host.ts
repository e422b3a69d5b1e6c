import * as grpc from '@grpc/grpc-js';
import type * as ProtoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import { HEALTH_SERVICE_NAME, HealthService, ServingStatusMap } from './health-service';
import { addLazyReflection } from './lazy-reflection';
import { grpcServerCredentials, type GrpcServerTls } from './tls';

/** Where the .proto sources live at run time (for server reflection). */
export const PROTO_DIR = path.resolve(__dirname, '..', '..', '..', 'proto');
/** The health service's .proto, shipped by grpc-health-check, for reflection to describe. */
const HEALTH_PROTO_DIR = path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto');

/**
 * A gRPC server the way every Bosun component serves: the component's services, server
 * reflection (so `grpcurl list/describe` needs no proto files) and grpc.health.v1.Health.
 * With `tls` it serves over TLS (see ./tls.ts; `grpcurl -cacert ca.crt`), else in plain text
 * (`--insecure`, for tests that need it).
 */
export class ServiceHost {
  readonly server: grpc.Server;
  readonly health: HealthService;
  /** Fully-qualified names of the services added, which reflection lists. */
  private readonly served: string[] = [HEALTH_SERVICE_NAME];
  private reflecting = false;
  private readonly credentials: grpc.ServerCredentials;

  /** `protoFiles` are paths under proto/ defining the services this host will serve; `tls` undefined serves plain text. */
  constructor(
    private readonly protoFiles: string[],
    options: grpc.ServerOptions = {},
    healthStatus: ServingStatusMap = { '': 'SERVING' },
    tls?: GrpcServerTls,
  ) {
    this.credentials = grpcServerCredentials(tls);
    this.server = new grpc.Server(options);
    this.health = new HealthService(healthStatus);
    this.health.addToServer(this.server);
  }

  addService<Impl extends grpc.UntypedServiceImplementation>(definition: grpc.ServiceDefinition, impl: Impl): void {
    this.server.addService(definition, impl);
    const anyMethod = Object.values(definition)[0];
    if (anyMethod) this.served.push(anyMethod.path.split('/')[1]);
  }

  /**
   * Adds server reflection for exactly the services served (once, before the first bind). The
   * .proto files are read and indexed on the first reflection call (see lazy-reflection.ts).
   */
  private addReflection(): void {
    if (this.reflecting) return;
    this.reflecting = true;
    // proto-loader (and protobufjs under it) only when reflection is first called.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = () =>
      (require('@grpc/proto-loader') as typeof ProtoLoader).loadSync([...this.protoFiles, 'health/v1/health.proto'], {
        includeDirs: [PROTO_DIR, HEALTH_PROTO_DIR],
        keepCase: true,
        longs: String,
        enums: String,
        defaults: true,
        oneofs: true,
      });
    addLazyReflection(this.server, load, this.served);
  }

  /** Binds host:port (port 0 = any free port) and resolves with the bound port. */
  listen(hostPort: string): Promise<number> {
    this.addReflection();
    return new Promise((resolve, reject) => {
      this.server.bindAsync(hostPort, this.credentials, (err, port) => {
        if (err) reject(new Error(`cannot listen on ${hostPort}: ${err.message}`));
        else resolve(port);
      });
    });
  }

  /**
   * For a caller that accepts connections itself: hands each connection given to the result's
   * injectConnection() to this server (reflection is added as by listen()). shutdown() also
   * ends those connections; the caller closes its own listener.
   */
  connectionInjector(): grpc.ConnectionInjector {
    this.addReflection();
    return this.server.createConnectionInjector(this.credentials);
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
