/**
 * controllerRef helpers (Kubernetes' metav1.GetControllerOf / NewControllerRef and the
 * controllers' resolveControllerRef): every child a controller makes carries exactly one
 * ownerReference with `controller: true` naming its manager by uid.
 */
import type { KubeObject, OwnerReference, ResourceInfo } from '../api/object';
import { apiVersionOf } from '../api/object';
import { groupOfApiVersion } from '../api/resources';
import type { IndexFunc, Lister } from '../client/informer';

/** Name of the index of children by their controller's uid (see {@link indexByControllerUid}). */
export const CONTROLLER_UID_INDEX = 'controllerUid';

/** The ownerReference of `obj` with `controller: true`, if any (metav1.GetControllerOf). */
export function getControllerOf(obj: KubeObject): OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

/** Whether `child`'s controllerRef names `owner` (same uid). */
export function isControlledBy(child: KubeObject, owner: KubeObject): boolean {
  const ref = getControllerOf(child);
  return ref !== undefined && owner.metadata.uid !== undefined && ref.uid === owner.metadata.uid;
}

/**
 * The controllerRef a controller puts on a child of `owner` (metav1.NewControllerRef):
 * controller and blockOwnerDeletion true, so foreground deletion of the owner waits for it.
 * Throws when `owner` has no name or uid (it must have been read from the API).
 */
export function newControllerRef(owner: KubeObject, ownerInfo: ResourceInfo): OwnerReference {
  const { name, uid } = owner.metadata;
  if (!name || !uid) throw new Error(`newControllerRef: the ${ownerInfo.kind} has no ${name ? 'uid' : 'name'} (read it from the API first)`);
  return { apiVersion: apiVersionOf(ownerInfo), kind: ownerInfo.kind, name, uid, controller: true, blockOwnerDeletion: true };
}

/**
 * The owner a child's controllerRef names, from the owner's cache: undefined when the ref is of
 * another kind (group and kind compared, any version), the owner is not cached, or the cached
 * owner has another uid (the ref points at an earlier incarnation of the name).
 */
export function resolveControllerRef<T extends KubeObject>(
  namespace: string,
  ref: OwnerReference | undefined,
  ownerInfo: ResourceInfo,
  owners: Pick<Lister<T>, 'get'>,
): T | undefined {
  if (!ref || ref.kind !== ownerInfo.kind || groupOfApiVersion(ref.apiVersion) !== ownerInfo.group) return undefined;
  const owner = owners.get(ownerInfo.namespaced ? namespace : '', ref.name);
  return owner && owner.metadata.uid === ref.uid ? owner : undefined;
}

/** Files an object under its controller's uid (none: not indexed). Share this one function across callers. */
export const indexByControllerUid: IndexFunc<KubeObject> = (obj) => {
  const ref = getControllerOf(obj);
  return ref ? [ref.uid] : [];
};
