import * as fs from 'node:fs';
import type { ResourceRest } from './rest/resource-rest';
import type { AuditSink } from './audit/audit-log';
import type { AuditPolicy } from './audit/audit-policy';
import { auditingRest } from './audit/auditing-rest';
import type { EncryptionConfig } from './encryption/encryption-config';
import type { Logger } from '../../lib/logger';
import { serviceDefinition, serviceProtoFile } from '../../lib/api/grpc-services';
import { ServiceHost } from '../../lib/grpc/service-host';
import type { GrpcServerTls } from '../../lib/grpc/tls';
import { DiscoveryService } from '../../gen/bosun/api/requests';
import { PodStreamsService } from '../../gen/bosun/api/streams/v1/streams';
import { podStreamsServiceImpl } from './grpc/pod-streams-service';
import { isConnectable } from './rest/resource-rest';
import { StoreClient, type StoreClientTls } from '../../store/client';
import { discoveryServiceImpl } from './grpc/discovery-service';
import { authenticatedService } from './grpc/authentication';
import { BearerAuthenticator, readTokenEntries } from './http/bearer-auth';
import { HttpApi } from './http/http-api';
import { resourceServiceImpl, tolerantDefinition } from './grpc/resource-service';
import { ResourceSet, type RestDecorator } from './rest/resource-set';
import { metricsRests } from './metrics';
import { ApiAuthorization, type AuthorizationModes } from './authz/api-authorization';
import { TokenAuthenticatorChain, type RequestAuthenticator } from './authn/token-authenticator';
import { ServiceAccountTokens, type ServiceAccountTokenConfig } from './serviceaccount/service-account-tokens';
import { serviceAccountRestDecorator } from './serviceaccount/service-account-rest';
import { serviceAccountTokenConfig } from './serviceaccount/token-keys';

/** How often the token file is checked for changes (ms). */
const TOKEN_FILE_POLL_MS = 1_000;

/** Largest request or response message the gRPC API accepts (Kubernetes' limit on a request body is 3 MiB; lists can be large). */
export const MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Configuration of one apiserver. */
export interface ApiServerConfig {
  /** Store client endpoints, host:port (a Bosun store or any etcd v3 server). */
  readonly storeEndpoints: readonly string[];
  /** TLS towards the store (Kubernetes' --etcd-cafile/--etcd-certfile/--etcd-keyfile); plain text when absent. */
  readonly storeTls?: StoreClientTls;
  /** host:port to serve the gRPC API on (port 0: any free port). */
  readonly grpcListen: string;
  /** The Kubernetes HTTP API (for kubectl and Kubernetes clients), when given. */
  readonly https?: HttpsConfig;
  /** Seconds an Event is kept after its last write (Kubernetes' --event-ttl; default 1 h). */
  readonly eventTtlSeconds?: number;
  /**
   * Bearer tokens both doors authenticate, `token,user,uid,"groups"` per line (default: the
   * HTTPS door's token file). Without one and without `grpcTls.clientCa`, gRPC calls are
   * anonymous whatever they carry (an in-process test server; the process always has a CA).
   */
  readonly tokenFile?: string;
  /**
   * TLS of the gRPC door: the serving certificate and the client CA whose certificates
   * authenticate callers (asked for, not required); undefined serves plain text (`--insecure`).
   */
  readonly grpcTls?: GrpcServerTls;
  /** PEM of the CA the HTTPS door verifies client certificates against (`--client-ca-file`); default: the cluster CA. */
  readonly clientCaCert?: string;
  /**
   * Kubernetes' --anonymous-auth, on both doors (default false): a request without credentials
   * is system:anonymous, which reaches only /healthz, /livez, /readyz, /version and gRPC health
   * and reflection; off, it is refused as unauthenticated (401 / UNAUTHENTICATED).
   */
  readonly anonymousAuth?: boolean;
  /**
   * Kubernetes' `--authorization-mode`: AlwaysAllow (the default), or Node and RBAC in the
   * order given (first allow wins), on both doors. Node also turns NodeRestriction admission on.
   */
  readonly authorizationMode?: AuthorizationModes;
  /** Kubernetes' `--encryption-provider-config`: the resources encrypted at rest and their keys (parsed). */
  readonly encryption?: EncryptionConfig;
  /** The audit log: which requests are logged at which level (`--audit-policy-file`), and where (`--audit-log-path`). */
  readonly audit?: { readonly policy: AuditPolicy; readonly sink: AuditSink };
  /** How often the metrics API scrapes nodes at most (metrics-server's --metric-resolution), ms; default 15 s. */
  readonly metricsResolutionMs?: number;
  /**
   * ServiceAccount tokens (`--service-account-*`, `--api-audiences`): issued by the
   * serviceaccounts/token subresource and accepted as bearer tokens on both doors. Without a
   * signing key none are issued; without keys none are accepted.
   */
  readonly serviceAccountTokens?: ServiceAccountTokenConfig;
}

/** Where and how the Kubernetes HTTP API is served. */
export interface HttpsConfig {
  /** host:port (port 0: any free port). */
  readonly listen: string;
  /** The cluster CA and serving certificate (made at first start; share it between replicas). */
  readonly certDir: string;
  /** Bearer tokens accepted, one `token,user` per line (see ensureTokenFile). */
  readonly tokenFile: string;
}

/** Hooks run once the resources are loaded, before the API is served (bootstrap, allocator repair). */
export type StartHook = (resources: ResourceSet, server: ApiServer) => Promise<void>;

/**
 * One apiserver: the only client of the store, stateless (several run side by side on one
 * store). Loads a watch cache per resource, then serves the gRPC API (a service per kind,
 * discovery, the pod streams, reflection and health).
 */
export class ApiServer {
  readonly resources: ResourceSet;
  private readonly client: StoreClient;
  private readonly host: ServiceHost;
  private port = 0;
  /** The Kubernetes HTTP API, when configured. */
  http: HttpApi | undefined;
  private readonly stopHooks: (() => Promise<void> | void)[] = [];
  /** The token authenticator both doors share: the token file's tokens, then ServiceAccount tokens. */
  private readonly authenticator: RequestAuthenticator | undefined;
  /** Issues and checks ServiceAccount tokens. */
  readonly serviceAccountTokens: ServiceAccountTokens;
  /** Authorization of both doors (the mode configured). */
  readonly authorization: ApiAuthorization;

  private constructor(
    private readonly config: ApiServerConfig,
    logger: Logger,
    decorators: Readonly<Record<string, RestDecorator>>,
    client: StoreClient | undefined,
    onWatchEnded: (() => void) | undefined,
  ) {
    this.client = client ?? new StoreClient({ endpoints: [...config.storeEndpoints], tls: config.storeTls });
    this.authorization = new ApiAuthorization(config.authorizationMode ?? 'AlwaysAllow');
    this.serviceAccountTokens = new ServiceAccountTokens(config.serviceAccountTokens ?? serviceAccountTokenConfig({}), (resource, namespace, name) => this.resources.readFresh('', resource, namespace, name));
    decorators = { '/serviceaccounts': serviceAccountRestDecorator(this.serviceAccountTokens), ...decorators };
    this.resources = new ResourceSet({
      client: this.client,
      logger: logger.child({ part: 'watch-cache' }),
      decorators,
      eventTtlSeconds: config.eventTtlSeconds,
      onWatchEnded,
      wrap: this.wrapRest,
      encryption: config.encryption,
      serviceAccountTokenVolumes: this.serviceAccountTokens.canIssue,
      nodeRestriction: this.authorization.nodeAuthorizer,
    });
    this.authorization.attach(this.resources);
    this.resources.addUnstored(this.authorization.reviews().map(this.audited));
    this.resources.addUnstored(metricsRests(this.resources, () => this.http?.streams, { logger, resolutionMs: config.metricsResolutionMs }).map(this.wrapRest));
    const protoFiles = [...new Set(this.resources.stored().map((r) => serviceProtoFile(r.info)))];
    this.host = new ServiceHost(['bosun/api/requests.proto', 'bosun/api/streams/v1/streams.proto', ...protoFiles], {
      'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
    }, undefined, config.grpcTls);
    const tokenFile = config.tokenFile ?? config.https?.tokenFile;
    const staticTokens = tokenFile ? new BearerAuthenticator(readTokenEntries(tokenFile)) : undefined;
    if (tokenFile && staticTokens) this.followTokenFile(tokenFile, staticTokens, logger);
    // Without a token file or a client CA every call is anonymous (as before); ServiceAccount tokens join the token file's.
    this.authenticator = staticTokens || config.grpcTls?.clientCa ? new TokenAuthenticatorChain(staticTokens, this.serviceAccountTokens) : undefined;
    const anonymousAuth = config.anonymousAuth ?? false;
    const authn = logger.child({ part: 'grpc-authn' });
    for (const rest of this.resources.stored()) {
      const definition = tolerantDefinition(serviceDefinition(rest.info));
      this.host.addService(definition, authenticatedService(definition, resourceServiceImpl(rest), this.authenticator, authn, { authorizer: this.authorization, anonymousAuth }));
    }
    this.host.addService(DiscoveryService, authenticatedService(DiscoveryService, discoveryServiceImpl(() => this.resources.stored()), this.authenticator, authn, { authorizer: this.authorization, anonymousAuth }));
    const podStreams = podStreamsServiceImpl({
      pods: () => {
        const pods = this.resources.byResource('', 'pods');
        return pods && isConnectable(pods, 'exec') ? pods : undefined;
      },
      proxy: () => this.http?.streams,
    });
    this.host.addService(PodStreamsService, authenticatedService(PodStreamsService, podStreams, this.authenticator, authn, { authorizer: this.authorization, anonymousAuth }));
  }

  /**
   * Starts an apiserver: waits for every watch cache to load (retrying while the store is
   * unreachable), runs the start hooks, then listens. Resolves once the API is served.
   */
  static async start(
    config: ApiServerConfig,
    logger: Logger,
    options: {
      readonly decorators?: Readonly<Record<string, RestDecorator>>;
      /** The store client to use (the server closes it when it stops); default: one to config.storeEndpoints. */
      readonly client?: StoreClient;
      /** Run once the caches are loaded, before the API is served (e.g. allocator repair, system namespaces). */
      readonly onStart?: readonly StartHook[];
      /** Run once the API is served (e.g. publishing this apiserver's address). */
      readonly onServing?: readonly StartHook[];
      /** Called whenever a watch (either front door) ends. */
      readonly onWatchEnded?: () => void;
    } = {},
  ): Promise<ApiServer> {
    const server = new ApiServer(config, logger, options.decorators ?? {}, options.client, options.onWatchEnded);
    logger.info({ store: config.storeEndpoints }, 'loading watch caches');
    await server.resources.start();
    for (const hook of options.onStart ?? []) await hook(server.resources, server);
    server.port = await server.host.listen(config.grpcListen);
    if (config.https) {
      server.http = new HttpApi({ resources: server.resources, certDir: config.https.certDir, tokens: [], authenticator: server.authenticator, authorizer: server.authorization, logger, clientCaCert: config.clientCaCert, anonymousAuth: config.anonymousAuth });
      await server.http.listen(config.https.listen);
    }
    logger.info({ grpc: server.grpcAddress, https: server.http?.url }, 'serving the API');
    for (const hook of options.onServing ?? []) await hook(server.resources, server);
    return server;
  }

  /** The store client (for start hooks that keep leases, such as the kubernetes Endpoints). */
  get storeClient(): StoreClient {
    return this.client;
  }

  /** host:port the gRPC API is served on. */
  get grpcAddress(): string {
    const host = this.config.grpcListen.slice(0, this.config.grpcListen.lastIndexOf(':')) || '127.0.0.1';
    return `${host}:${this.port}`;
  }

  get grpcPort(): number {
    return this.port;
  }

  /** Registers work to do first when the server stops (e.g. give up this apiserver's lease). */
  onStop(fn: () => Promise<void> | void): void {
    this.stopHooks.push(fn);
  }

  /** Stops serving, ends every watch and closes the store client. */
  async stop(): Promise<void> {
    for (const fn of this.stopHooks.splice(0)) {
      try {
        await fn();
      } catch {
        // best effort: stopping goes on
      }
    }
    this.resources.stop();
    await Promise.all([this.host.shutdown(1000), this.http?.close()]);
    this.client.close();
    this.config.audit?.sink.close();
  }

  /**
   * Re-reads the token file when it changes, so an identity added to a running cluster (a node
   * joining, with its own token) authenticates without a restart. A file that cannot be read
   * keeps the tokens known.
   */
  private followTokenFile(file: string, authenticator: BearerAuthenticator, logger: Logger): void {
    const reload = (): void => {
      try {
        authenticator.replace(readTokenEntries(file));
      } catch (err) {
        logger.warn({ file, err: (err as Error).message }, 'token file unreadable; keeping the tokens known');
      }
    };
    fs.watchFile(file, { interval: TOKEN_FILE_POLL_MS, persistent: false }, reload);
    this.stopHooks.push(() => fs.unwatchFile(file, reload));
  }

  /** A resource's REST as the doors call it: audited (outermost, so refusals are logged too), then authorized. */
  private readonly wrapRest = (rest: ResourceRest): ResourceRest => this.audited(this.authorization.wrap(rest));

  private readonly audited = (rest: ResourceRest): ResourceRest => (this.config.audit ? auditingRest(rest, this.config.audit.policy, this.config.audit.sink) : rest);
}
