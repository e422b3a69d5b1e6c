import type { KubeObject } from './object';

/**
 * The parameters of API requests and the shapes of their answers, shared by the apiserver
 * (both front doors) and the clients: strings as a client sends them (selectors,
 * resourceVersions); objects in Kubernetes' JSON shape.
 */

/** Subresources a resource may serve. */
export type Subresource = 'status' | 'scale' | 'binding' | 'finalize' | 'eviction' | 'token';

/** Options of create. */
export interface WriteOptions {
  readonly dryRun?: boolean;
  /** Who writes (recorded for field ownership); default taken from the client's user agent. */
  readonly fieldManager?: string;
}

/** Options of update and patch. */
export interface UpdateRequest extends WriteOptions {
  readonly subresource?: 'status';
  /** Server-side apply: take ownership of fields other managers own instead of a 409 (`force=true`). */
  readonly force?: boolean;
  /**
   * Patch: what to do with fields the kind does not have and keys given twice in the patch —
   * `Strict` fails with 400, `Warn` (the default) answers with warnings, `Ignore` drops them.
   */
  readonly fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

/** Options of get. */
export interface GetOptions {
  /** "" or absent: the newest state (read from the store); "0": whatever the cache holds. */
  readonly resourceVersion?: string;
}

/** Options of list, as sent (strings are parsed and checked here). */
export interface ListRequest {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: string;
}

/** Options of watch. */
export interface WatchRequest {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Absent, "" or "0": ADDED for every current object first; else changes after this version. */
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks?: boolean;
}

/** Options of delete (Kubernetes' DeleteOptions). */
export interface DeleteRequest {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: string;
  /** The deprecated form of propagationPolicy Orphan (true) / Background (false). */
  readonly orphanDependents?: boolean;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly dryRun?: boolean;
  /**
   * Kubernetes 1.32's unsafe deletion of a corrupt object: when the stored object cannot be
   * decoded, remove its key without admission, finalizers or graceful deletion. Ignored for
   * objects that decode (they are deleted normally).
   */
  readonly ignoreStoreReadErrorWithClusterBreakingPotential?: boolean;
}

/** What a delete did: the object as last stored, and whether it is gone or only marked. */
export interface DeleteOutcome<T> {
  readonly object: T;
  readonly deleted: boolean;
}

/** autoscaling/v1 Scale: the scale subresource's body. */
export interface Scale extends KubeObject {
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** One event of a watch. BOOKMARK objects carry only apiVersion, kind and metadata.resourceVersion. */
export interface ApiWatchEvent<T extends KubeObject = KubeObject> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  readonly object: T;
}
