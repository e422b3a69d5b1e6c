import type { KubeList, KubeObject, ResourceInfo } from '../api/object';
import type {
  ApiWatchEvent,
  DeleteOutcome,
  DeleteRequest,
  ListRequest,
  Scale,
  Subresource,
  UpdateRequest,
  WatchRequest,
  WriteOptions,
} from '../api/requests';

/**
 * The API as every Bosun client sees it (CLI, controllers, scheduler, node agent): resources
 * addressed by their ResourceInfo, objects in Kubernetes' JSON shape, failures as ApiErrors
 * (lib/api/errors) with Kubernetes' codes and reasons. The gRPC implementation is
 * GrpcApiClient; tests may use any other.
 */
export interface ApiClient {
  /** The resources the server serves, with their verbs and subresources (discovery). */
  discover(): Promise<ServedResource[]>;
  /** A client for one resource. */
  resource<T extends KubeObject = KubeObject>(info: ResourceInfo): ResourceClient<T>;
  /** Closes the connections. */
  close(): void;
}

/** A resource as discovery describes it. */
export interface ServedResource extends ResourceInfo {
  readonly verbs: readonly string[];
  readonly subresources: readonly Subresource[];
}

/** The calls of one resource. `namespace` is ignored for cluster-scoped resources. */
export interface ResourceClient<T extends KubeObject = KubeObject> {
  readonly info: ResourceInfo;
  create(namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T>;
  get(namespace: string | undefined, name: string): Promise<T>;
  list(namespace: string | undefined, opts?: ListRequest): Promise<KubeList<T>>;
  /** Replaces the object (a compare-and-swap when metadata.resourceVersion is set). */
  update(namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T>;
  /** Replaces only the status. */
  updateStatus(namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T>;
  /**
   * `patchType`: application/merge-patch+json, application/json-patch+json,
   * application/strategic-merge-patch+json, or application/apply-patch+yaml (server-side apply:
   * `opts.fieldManager` required, `opts.force` takes over fields other managers own).
   */
  patch(namespace: string | undefined, name: string, patchType: string, patch: string, opts?: UpdateRequest): Promise<T>;
  delete(namespace: string | undefined, name: string, opts?: DeleteRequest): Promise<DeleteOutcome<T>>;
  /** Deletes every object matching the list options (deletecollection). */
  deleteCollection(namespace: string | undefined, listOpts?: ListRequest, deleteOpts?: DeleteRequest): Promise<KubeList<T>>;
  /** A watch; ends (iteration finishes) when the server ends it; an ERROR ends it with an ApiError thrown from next(). */
  watch(namespace: string | undefined, opts?: WatchRequest): ClientWatch<T>;
  /** The scale subresource (resources that serve it). */
  getScale(namespace: string | undefined, name: string): Promise<Scale>;
  updateScale(namespace: string | undefined, name: string, scale: Scale, opts?: WriteOptions): Promise<Scale>;
  /** pods/binding. */
  bind(namespace: string | undefined, name: string, binding: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
  /** pods/eviction: deletes the pod unless a PodDisruptionBudget forbids it (429 TooManyRequests). */
  evict(namespace: string | undefined, name: string, eviction: KubeObject, opts?: WriteOptions): Promise<void>;
  /**
   * serviceaccounts/token: a signed token for the ServiceAccount `name` (`tokenRequest` is an
   * authentication.k8s.io/v1 TokenRequest; the answer carries status.token and
   * status.expirationTimestamp).
   */
  createToken(namespace: string | undefined, name: string, tokenRequest: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
  /** namespaces/finalize: replaces only spec.finalizers of the namespace `name`. */
  finalize(name: string, obj: T, opts?: WriteOptions): Promise<T>;
}

/** A client-side watch: an async iterable of events; stop() cancels it. */
export interface ClientWatch<T extends KubeObject> extends AsyncIterable<ApiWatchEvent<T>> {
  stop(): void;
}
