import * as grpc from '@grpc/grpc-js';
import { DiscoveryClient, type ServerResourcesResponse } from '../../gen/bosun/api/requests';
import { ApiError } from '../api/errors';
import { apiErrorFromGrpc } from '../api/grpc-status';
import { clientConstructor } from '../api/grpc-services';
import { apiVersionOf, type KubeList, type KubeObject, type ResourceInfo } from '../api/object';
import { fromProto, toProto } from '../api/proto/convert';
import { findProtoKind, type ProtoKind } from '../api/proto/kinds';
import type { ApiWatchEvent, DeleteOutcome, DeleteRequest, ListRequest, Scale, Subresource, UpdateRequest, WatchRequest, WriteOptions } from '../api/requests';
import { errorFromStatus, type StatusObject } from '../api/status';
import type { ApiClient, ClientWatch, ResourceClient, ServedResource } from './api-client';
import { grpcChannelCredentials, type GrpcClientTls } from '../grpc/tls';

/** Deadline of one unary call, retries included. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
/** Attempts of a call that failed before reaching any apiserver (or a read the server could not serve). */
export const MAX_CALL_ATTEMPTS = 5;
/** First pause between attempts; doubles each time. */
export const RETRY_BASE_DELAY_MS = 100;
/** Largest message accepted (lists of many objects). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Constructor parameters of a GrpcApiClient. */
export interface GrpcApiClientOptions {
  /** apiserver gRPC endpoints, host:port; calls go to the first that answers. */
  readonly endpoints: readonly string[];
  readonly callTimeoutMs?: number;
  /**
   * Bearer token of this client's identity (a kubeconfig user's `token`), sent as
   * `authorization: Bearer <token>` metadata on every call (unary, watch and discovery).
   */
  readonly token?: string;
  /** Act as this user (and groups) on every call: the `impersonate-user` / `impersonate-group` metadata (the token's user needs `impersonate`). */
  readonly impersonate?: { readonly user: string; readonly groups?: readonly string[] };
  /**
   * TLS towards the apiservers: the CA their serving certificate must chain to, and a client
   * certificate when this client authenticates with one; undefined dials in plain text (an
   * apiserver run with --insecure).
   */
  readonly tls?: GrpcClientTls;
}

/** The call metadata key of the bearer token (the HTTP header's name, lower-case as gRPC requires). */
export const AUTHORIZATION_METADATA_KEY = 'authorization';

/**
 * An interceptor that adds `authorization: Bearer <token>` to the metadata of every call the
 * client makes, whatever its kind: the one place the identity is attached.
 */
export function bearerTokenInterceptor(token: string): grpc.Interceptor {
  if (token === '' || /\s/.test(token)) throw new Error('GrpcApiClient: the bearer token must be non-empty and contain no whitespace');
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(AUTHORIZATION_METADATA_KEY, value);
        next(metadata, listener);
      },
    });
}

/** An interceptor that adds Kubernetes' impersonation metadata (kubectl's --as / --as-group) to every call. */
export function impersonationInterceptor(as: NonNullable<GrpcApiClientOptions['impersonate']>): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('impersonate-user', as.user);
        for (const group of as.groups ?? []) metadata.add('impersonate-group', group);
        next(metadata, listener);
      },
    });
}

/**
 * The API client over the apiserver's gRPC API (one channel to all endpoints, failing over
 * between them): objects are converted to and from Kubernetes' protobuf messages here, errors
 * come back as the ApiErrors the server raised. A call that never reached a server (connection
 * refused) is retried with backoff; so are reads the server answered 503 / 504.
 */
export class GrpcApiClient implements ApiClient {
  private readonly channel: grpc.Channel;
  private readonly clients = new Map<string, ResourceClient>();
  private readonly discovery: InstanceType<typeof DiscoveryClient>;
  /** Options of every generated client on the channel (the channel itself, the token interceptor). */
  private readonly stubOptions: grpc.ClientOptions;
  readonly callTimeoutMs: number;

  constructor(options: GrpcApiClientOptions) {
    if (options.endpoints.length === 0) throw new Error('GrpcApiClient: no endpoints');
    const interceptors = [...(options.token !== undefined ? [bearerTokenInterceptor(options.token)] : []), ...(options.impersonate ? [impersonationInterceptor(options.impersonate)] : [])];
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.channel = new grpc.Channel(channelTarget(options.endpoints), grpcChannelCredentials(options.tls), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.keepalive_time_ms': 30_000,
      // Calls are retried here (see call()); grpc-js' own retry layer would only add cost per call.
      'grpc.enable_retries': 0,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
    });
    this.stubOptions = { channelOverride: this.channel, interceptors };
    this.discovery = new DiscoveryClient('unused', grpc.credentials.createInsecure(), this.stubOptions);
  }

  async discover(): Promise<ServedResource[]> {
    const res = await this.call<ServerResourcesResponse>(true, (deadline, cb) => this.discovery.serverResources({}, new grpc.Metadata(), { deadline }, cb));
    return res.resources.map((r) => ({
      group: r.group ?? '',
      version: r.version ?? '',
      kind: r.kind ?? '',
      resource: r.resource ?? '',
      singular: r.singular ?? '',
      namespaced: !!r.namespaced,
      shortNames: r.shortNames ?? [],
      categories: r.categories ?? [],
      verbs: r.verbs ?? [],
      subresources: (r.subresources ?? []) as Subresource[],
    }));
  }

  resource<T extends KubeObject = KubeObject>(info: ResourceInfo): ResourceClient<T> {
    const key = `${info.group}/${info.resource}`;
    let client = this.clients.get(key);
    if (!client) {
      const Ctor = clientConstructor(info);
      client = new GrpcResourceClient(info, new Ctor('unused', grpc.credentials.createInsecure(), this.stubOptions), this);
      this.clients.set(key, client);
    }
    return client as unknown as ResourceClient<T>;
  }

  close(): void {
    this.channel.close();
  }

  /**
   * One unary call with retries: `start` issues it with a deadline and a node-style callback.
   * Every call is retried when it never reached a server; `idempotent` calls also on 503/504.
   */
  async call<R>(idempotent: boolean, start: (deadline: Date, cb: (err: grpc.ServiceError | null, res: R) => void) => void): Promise<R> {
    const deadline = new Date(Date.now() + this.callTimeoutMs);
    let delay = RETRY_BASE_DELAY_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await new Promise<R>((resolve, reject) => start(deadline, (err, res) => (err ? reject(err) : resolve(res))));
      } catch (raw) {
        const err = raw as grpc.ServiceError;
        const retryable = neverReachedServer(err) || (idempotent && (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED));
        if (!retryable || attempt >= MAX_CALL_ATTEMPTS || Date.now() + delay >= deadline.getTime()) throw apiErrorFromGrpc(err);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay *= 2;
      }
    }
  }
}

/** True when a call failed before any server saw it (nothing to be unsure about). */
function neverReachedServer(err: grpc.ServiceError): boolean {
  if (err.code !== grpc.status.UNAVAILABLE) return false;
  // A Status from a server carries its details trailer; a transport failure does not. "Connection
  // dropped" is not among these: the call was on the wire, and the server may have applied it
  // before dying — a write retried then can conflict with itself (a 409 for an update that
  // happened), so its outcome is reported as unknown (503) instead.
  return err.metadata?.get('grpc-status-details-bin').length === 0 && /No connection established|ECONNREFUSED|Failed to connect|connect ETIMEDOUT/i.test(err.details ?? '');
}

/** A grpc-js target for the endpoints: every IPv4 literal in one "ipv4:" target (grpc fails over), else the first by DNS. */
export function channelTarget(endpoints: readonly string[]): string {
  if (endpoints.every((e) => /^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(e))) return `ipv4:${endpoints.join(',')}`;
  return `dns:///${endpoints[0]}`;
}

type Callback = (err: grpc.ServiceError | null, res: any) => void;
type GeneratedClient = grpc.Client & Record<string, (req: unknown, opts: grpc.CallOptions, cb: Callback) => void>;

/** The client of one resource, over its generated gRPC client. */
class GrpcResourceClient<T extends KubeObject> implements ResourceClient<T> {
  private readonly kind: ProtoKind;
  private readonly listKind: ProtoKind;

  constructor(
    readonly info: ResourceInfo,
    private readonly stub: grpc.Client,
    private readonly api: GrpcApiClient,
  ) {
    this.kind = requireKind(apiVersionOf(info), info.kind);
    this.listKind = requireKind(apiVersionOf(info), `${info.kind}List`);
  }

  async create(namespace: string | undefined, obj: T, opts: WriteOptions = {}): Promise<T> {
    const res = await this.unary(false, 'create', { namespace: namespace ?? '', object: this.out(obj), dryRun: !!opts.dryRun, fieldManager: opts.fieldManager ?? '' });
    return this.in(res);
  }

  async get(namespace: string | undefined, name: string): Promise<T> {
    return this.in(await this.unary(true, 'get', { namespace: namespace ?? '', name }));
  }

  async list(namespace: string | undefined, opts: ListRequest = {}): Promise<KubeList<T>> {
    return this.inList(await this.unary(true, 'list', listRequestMessage(namespace, opts)));
  }

  /** A list message as a list of this kind, every item with apiVersion and kind. */
  private inList(res: unknown): KubeList<T> {
    const list = fromProto(this.listKind, res) as unknown as KubeList<T>;
    list.items = (list.items ?? []).map((item) => this.identify(item));
    list.apiVersion = apiVersionOf(this.info);
    list.kind = `${this.info.kind}List`;
    return list;
  }

  async update(namespace: string | undefined, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.in(await this.unary(false, 'update', { namespace: namespace ?? '', object: this.out(obj), dryRun: !!opts.dryRun, fieldManager: opts.fieldManager ?? '' }));
  }

  async updateStatus(namespace: string | undefined, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.in(await this.unary(false, 'updateStatus', { namespace: namespace ?? '', object: this.out(obj), dryRun: !!opts.dryRun, fieldManager: opts.fieldManager ?? '' }));
  }

  async patch(namespace: string | undefined, name: string, patchType: string, patch: string, opts: UpdateRequest = {}): Promise<T> {
    const res = await this.unary(false, 'patch', {
      namespace: namespace ?? '',
      name,
      patchType,
      patch: Buffer.from(patch, 'utf8'),
      dryRun: !!opts.dryRun,
      fieldManager: opts.fieldManager ?? '',
      subresource: opts.subresource ?? '',
      force: !!opts.force,
      fieldValidation: opts.fieldValidation ?? '',
    });
    return this.in(res);
  }

  async delete(namespace: string | undefined, name: string, opts: DeleteRequest = {}): Promise<DeleteOutcome<T>> {
    const res = await this.unary(false, 'delete', { namespace: namespace ?? '', name, options: deleteOptionsMessage(opts) });
    return { object: this.in(res.object), deleted: !!res.deleted };
  }

  async deleteCollection(namespace: string | undefined, listOpts: ListRequest = {}, deleteOpts: DeleteRequest = {}): Promise<KubeList<T>> {
    const res = await this.unary(false, 'deleteCollection', { list: listRequestMessage(namespace, listOpts), options: deleteOptionsMessage(deleteOpts) });
    return this.inList(res);
  }

  watch(namespace: string | undefined, opts: WatchRequest & { timeoutSeconds?: number } = {}): ClientWatch<T> {
    const stream = (this.stub as unknown as Record<string, (req: unknown) => grpc.ClientReadableStream<any>>).watch!.call(this.stub, {
      namespace: namespace ?? '',
      labelSelector: opts.labelSelector ?? '',
      fieldSelector: opts.fieldSelector ?? '',
      resourceVersion: opts.resourceVersion ?? '',
      allowWatchBookmarks: !!opts.allowWatchBookmarks,
      timeoutSeconds: opts.timeoutSeconds ?? 0,
    });
    let stopped = false;
    stream.on('error', () => undefined); // surfaced through iteration
    const self = this;
    return {
      stop() {
        stopped = true;
        stream.cancel();
      },
      async *[Symbol.asyncIterator](): AsyncIterator<ApiWatchEvent<T>> {
        try {
          for await (const msg of stream) {
            if (msg.type === 'ERROR') throw errorFromStatus(fromProto(requireKind('v1', 'Status'), msg.status) as Partial<StatusObject>, 'watch failed');
            yield { type: msg.type, object: self.in(msg.object) } as ApiWatchEvent<T>;
          }
        } catch (err) {
          if (stopped) return;
          if (err instanceof ApiError) throw err;
          throw apiErrorFromGrpc(err as grpc.ServiceError);
        } finally {
          if (!stopped) stream.cancel();
        }
      },
    };
  }

  async getScale(namespace: string | undefined, name: string): Promise<Scale> {
    return fromProto(requireKind('autoscaling/v1', 'Scale'), await this.unary(true, 'getScale', { namespace: namespace ?? '', name })) as Scale;
  }

  async updateScale(namespace: string | undefined, name: string, scale: Scale, opts: WriteOptions = {}): Promise<Scale> {
    const kind = requireKind('autoscaling/v1', 'Scale');
    const res = await this.unary(false, 'updateScale', { namespace: namespace ?? '', name, scale: toProto(kind, { ...scale, apiVersion: 'autoscaling/v1', kind: 'Scale' }), dryRun: !!opts.dryRun });
    return fromProto(kind, res) as Scale;
  }

  async bind(namespace: string | undefined, name: string, binding: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const kind = requireKind('v1', 'Binding');
    const res = await this.unary(false, 'bind', { namespace: namespace ?? '', name, binding: toProto(kind, { ...binding, apiVersion: 'v1', kind: 'Binding' }), dryRun: !!opts.dryRun });
    return this.in(res);
  }

  async evict(namespace: string | undefined, name: string, eviction: KubeObject, opts: WriteOptions = {}): Promise<void> {
    const kind = requireKind('policy/v1', 'Eviction');
    const body = { ...eviction, apiVersion: 'policy/v1', kind: 'Eviction', metadata: { ...(eviction.metadata ?? {}), name, namespace } };
    await this.unary(false, 'evict', { namespace: namespace ?? '', name, eviction: toProto(kind, body), dryRun: !!opts.dryRun });
  }

  async createToken(namespace: string | undefined, name: string, tokenRequest: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const kind = requireKind('authentication.k8s.io/v1', 'TokenRequest');
    const body = { ...tokenRequest, apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { ...(tokenRequest.metadata ?? {}), name, namespace } };
    const res = await this.unary(false, 'createToken', { namespace: namespace ?? '', name, tokenRequest: toProto(kind, body), dryRun: !!opts.dryRun });
    return fromProto(kind, res) as KubeObject;
  }

  async finalize(name: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    const body = { ...obj, metadata: { ...(obj.metadata ?? {}), name } } as T;
    return this.in(await this.unary(false, 'finalize', { namespace: '', object: this.out(body), dryRun: !!opts.dryRun }));
  }

  private unary(idempotent: boolean, method: string, req: unknown): Promise<any> {
    const fn = (this.stub as GeneratedClient)[method];
    if (typeof fn !== 'function') {
      return Promise.reject(new ApiError(405, 'MethodNotAllowed', `${this.info.resource} does not support ${method}`));
    }
    return this.api.call(idempotent, (deadline, cb) => fn.call(this.stub, req, { deadline }, cb));
  }

  /**
   * The object as its protobuf message. Fields the message has no place for would be lost on
   * the wire, so they are refused here, as Kubernetes' strict field validation refuses them.
   */
  private out(obj: T): unknown {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new ApiError(400, 'BadRequest', 'the object must be a JSON object');
    const unknownFields: string[] = [];
    const message = toProto(this.kind, { ...obj, apiVersion: apiVersionOf(this.info), kind: this.info.kind }, { unknownFields });
    if (unknownFields.length > 0) {
      const what = `${this.info.kind} in version "${this.info.version}" cannot be handled as a ${this.info.kind}`;
      throw new ApiError(400, 'BadRequest', `${what}: strict decoding error: ${unknownFields.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
    return message;
  }

  private in(message: unknown): T {
    return this.identify(fromProto(this.kind, message) as unknown as T);
  }

  /** Objects read from protobuf carry no apiVersion/kind (Kubernetes puts them in the envelope): set them. */
  private identify(obj: T): T {
    return { apiVersion: apiVersionOf(this.info), kind: this.info.kind, ...obj } as T;
  }
}

/** The ListRequest message of a list (or of the objects a deleteCollection selects); 400 for a bad limit. */
function listRequestMessage(namespace: string | undefined, opts: ListRequest): Record<string, unknown> {
  if (opts.limit !== undefined && (!Number.isSafeInteger(opts.limit) || opts.limit < 0)) {
    throw new ApiError(400, 'BadRequest', `limit: Invalid value: ${opts.limit}: must be a non-negative integer`);
  }
  return {
    namespace: namespace ?? '',
    labelSelector: opts.labelSelector ?? '',
    fieldSelector: opts.fieldSelector ?? '',
    limit: opts.limit ?? 0,
    continue: opts.continue ?? '',
    resourceVersion: opts.resourceVersion ?? '',
    resourceVersionMatch: opts.resourceVersionMatch ?? '',
  };
}

/** Kubernetes' DeleteOptions message of a delete request. */
function deleteOptionsMessage(opts: DeleteRequest): Record<string, unknown> {
  return {
    gracePeriodSeconds: opts.gracePeriodSeconds,
    propagationPolicy: opts.propagationPolicy,
    orphanDependents: opts.orphanDependents,
    preconditions: opts.preconditions ? { uid: opts.preconditions.uid, resourceVersion: opts.preconditions.resourceVersion } : undefined,
    dryRun: opts.dryRun ? ['All'] : [],
    ignoreStoreReadErrorWithClusterBreakingPotential: opts.ignoreStoreReadErrorWithClusterBreakingPotential,
  };
}

function requireKind(apiVersion: string, kind: string): ProtoKind {
  const k = findProtoKind(apiVersion, kind);
  if (!k) throw new Error(`no protobuf message for ${apiVersion} ${kind}`);
  return k;
}
