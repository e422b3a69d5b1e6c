import type { NodeStreamLocation } from './pod-stream-location';
import type { KubeList, KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { DeleteOutcome, DeleteRequest, GetOptions, ListRequest, Scale, Subresource, UpdateRequest, WatchRequest, WriteOptions } from '../../../lib/api/requests';
import type { WatchEndReason, WatchEvent } from '../registry/cache-watcher';

export type { DeleteOutcome, DeleteRequest, GetOptions, ListRequest, Scale, Subresource, UpdateRequest, WatchRequest, WriteOptions } from '../../../lib/api/requests';

/**
 * The operations of one API resource, as both front doors (gRPC and the Kubernetes HTTP API)
 * call them: request parameters arrive here as the strings a client sent (selectors,
 * resourceVersions), objects in Kubernetes' JSON shape. Every rule (admission, defaulting,
 * validation, allocation) lives behind this interface, never in a front door. Errors are
 * ApiErrors only.
 */
export interface ResourceRest<T extends KubeObject = KubeObject> {
  readonly info: ResourceInfo;
  /** Subresources served besides the main resource. */
  readonly subresources: readonly Subresource[];
  /** The verbs discovery lists (default: every verb; the access reviews: create only). */
  readonly verbs?: readonly string[];

  create(namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T>;
  get(namespace: string | undefined, name: string, opts?: GetOptions): Promise<T>;
  list(namespace: string | undefined, opts?: ListRequest): Promise<KubeList<T>>;
  /** Replaces the object named `name` (the body's name must agree); 'status' changes only status. */
  update(namespace: string | undefined, name: string, obj: T, opts?: UpdateRequest): Promise<T>;
  /** Applies a patch of `patchType` (a Kubernetes patch content type) to the stored object. */
  patch(namespace: string | undefined, name: string, patchType: string, patch: Buffer | string, opts?: UpdateRequest): Promise<T>;
  delete(namespace: string | undefined, name: string, opts?: DeleteRequest): Promise<DeleteOutcome<T>>;
  /**
   * Deletes every object the list options select (Kubernetes' deletecollection), each as one
   * delete with `deleteOpts` (admission, finalizers, graceful deletion, propagation); objects
   * gone meanwhile are skipped. A namespaced kind needs a namespace. Answers the list of the
   * objects deleted or marked for deletion, as last stored.
   */
  deleteCollection(namespace: string | undefined, listOpts?: ListRequest, deleteOpts?: DeleteRequest): Promise<KubeList<T>>;
  /** True when a completed delete answers with the deleted object rather than a Status (Kubernetes' pods and namespaces). */
  readonly returnsDeletedObject: boolean;
  watch(namespace: string | undefined, opts?: WatchRequest): Promise<ResourceWatch<T>>;
}

/** A running watch: read events until it ends; stop() ends it from the client side. */
export interface ResourceWatch<T extends KubeObject> extends AsyncIterable<WatchEvent<T>> {
  next(): Promise<WatchEvent<T> | undefined>;
  stop(): void;
  /** Resolves with the reason once the watch has ended ('too-slow': the client fell behind and its queue was dropped). */
  readonly ended: Promise<WatchEndReason>;
}

/** A resource with the scale subresource (Deployment, ReplicaSet, StatefulSet). */
export interface ScalableRest {
  getScale(namespace: string | undefined, name: string): Promise<Scale>;
  updateScale(namespace: string | undefined, name: string, scale: Scale, opts?: WriteOptions): Promise<Scale>;
  /**
   * Patches the Scale (any patch type but apply) and writes spec.replicas; a write that loses a
   * race with another writer is re-read and re-patched, unless the patch itself names a
   * resourceVersion (then the 409 stands).
   */
  patchScale(namespace: string | undefined, name: string, patchType: string, patch: Buffer | string, opts?: WriteOptions): Promise<Scale>;
}

/** Pods: the binding subresource (the scheduler's placement of a pod on a node). */
export interface BindableRest {
  bind(namespace: string | undefined, name: string, binding: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
}

/** Pods: the eviction subresource (a delete that honours PodDisruptionBudgets). */
export interface EvictableRest {
  /** Deletes the pod as `eviction` (a policy/v1 Eviction) asks, unless a budget forbids it (429). */
  evict(namespace: string | undefined, name: string, eviction: KubeObject, opts?: WriteOptions): Promise<void>;
}

/** True when `rest` serves the eviction subresource. */
export function isEvictable(rest: ResourceRest): rest is ResourceRest & EvictableRest {
  return rest.subresources.includes('eviction') && typeof (rest as Partial<EvictableRest>).evict === 'function';
}

/** ServiceAccounts: the token subresource (an authentication.k8s.io/v1 TokenRequest answered with a signed token). */
export interface TokenRequestRest {
  createToken(namespace: string | undefined, name: string, tokenRequest: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
}

/** True when `rest` serves the token subresource. */
export function isTokenRequestable(rest: ResourceRest): rest is ResourceRest & TokenRequestRest {
  return rest.subresources.includes('token') && typeof (rest as Partial<TokenRequestRest>).createToken === 'function';
}

/**
 * Pods: the subresources that stream from the pod's node (log, exec, attach, portforward).
 * Both doors ask here where to send the stream, then proxy it to that node's agent.
 */
export interface ConnectableRest {
  readonly connectSubresources: readonly string[];
  /**
   * Where `subresource` of the pod is served: NotFound for a missing pod (or its node), 400s for
   * a bad container or a pod without a node; null for the log of a pod on no node (empty log).
   */
  connect(namespace: string | undefined, name: string, subresource: string, query: URLSearchParams): Promise<NodeStreamLocation | null>;
}

/** True when `rest` serves `subresource` as a stream from a node (see ConnectableRest). */
export function isConnectable(rest: ResourceRest, subresource: string): rest is ResourceRest & ConnectableRest {
  const c = rest as Partial<ConnectableRest>;
  return typeof c.connect === 'function' && (c.connectSubresources ?? []).includes(subresource);
}

/** Namespaces: the finalize subresource (replaces spec.finalizers only). */
export interface FinalizableRest {
  finalize(name: string, namespace: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
}

/** True when `rest` serves the finalize subresource. */
export function isFinalizable(rest: ResourceRest): rest is ResourceRest & FinalizableRest {
  return rest.subresources.includes('finalize') && typeof (rest as Partial<FinalizableRest>).finalize === 'function';
}

/** True when `rest` serves the scale subresource. */
export function isScalable(rest: ResourceRest): rest is ResourceRest & ScalableRest {
  return rest.subresources.includes('scale') && typeof (rest as Partial<ScalableRest>).getScale === 'function';
}

/** True when `rest` serves the binding subresource. */
export function isBindable(rest: ResourceRest): rest is ResourceRest & BindableRest {
  return rest.subresources.includes('binding') && typeof (rest as Partial<BindableRest>).bind === 'function';
}
