/**
 * The shape every API object shares, in Kubernetes' JSON field names. Kind-specific `spec` and
 * `status` stay open records here; each kind's strategy knows its own fields.
 */

/** A reference to the object that owns (and, with `controller: true`, manages) this one. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Kubernetes ObjectMeta (the fields Bosun uses). Timestamps are RFC 3339 strings. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

/** Any API object: apiVersion/kind, metadata, and kind-specific parts. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

/** ListMeta of a list response. */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A list of objects of one kind (`<Kind>List`). */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

/** Identity of a kind as the API serves it. */
export interface ResourceInfo {
  /** API group; "" for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Plural lower-case resource name used in paths and storage keys, e.g. "deployments". */
  resource: string;
  /** Singular lower-case name, e.g. "deployment". */
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** Categories such as "all" (used by `kubectl get all`). */
  categories: string[];
}

/** "apps/v1" for a named group, "v1" for the core group. */
export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}
