import { ForbiddenError, qualifiedResource, type StatusDetails } from '../../../lib/api/errors';
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';

/**
 * The checks every write passes before it reaches the registry (Kubernetes' admission chain),
 * the same for both front doors. A check refuses a write by throwing an ApiError; a mutating
 * check completes the object in place (the priority of a pod). Subresource writes (status,
 * scale, binding, finalize) are not admitted by the mutating plugins, as in Kubernetes; a
 * status write is shown to the plugins that check who writes it (admitStatusUpdate).
 */
export interface Admission {
  /**
   * Admits a create of `obj` of `info` in `namespace` (may change `obj`). A dry run (`dryRun`)
   * is checked like a real create but leaves no trace (no quota charged).
   */
  admitCreate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, opts?: { readonly dryRun?: boolean }): Promise<void>;
  /**
   * Admits an update of the main resource from the stored `old` to `obj` (may change `obj`).
   * Runs inside the registry's compare-and-swap loop, so it sees each attempt's `old`.
   */
  admitUpdate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, old: KubeObject): Promise<void>;
  /**
   * Admits the delete of `obj` of `info` as stored. Runs inside the registry's delete, once the
   * request's preconditions held (a uid precondition naming another object is the registry's 409
   * first, as in Kubernetes), and again on each compare-and-swap attempt with that attempt's object.
   */
  admitDelete(info: ResourceInfo, namespace: string | undefined, obj: KubeObject): Promise<void>;
  /**
   * Admits a write of the status subresource from the stored `old` to `obj` (inside the
   * registry's compare-and-swap loop). Only validating plugins that must see who writes a
   * status (NodeRestriction) look at it; optional, so other admissions need not.
   */
  admitStatusUpdate?(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, old: KubeObject): Promise<void>;
}

/** One admission plugin: the checks it makes (an absent check lets every such write through). */
export type AdmissionPlugin = Partial<Admission>;

/**
 * The plugins of an apiserver run in order, each seeing what the ones before it changed; the
 * first refusal ends the write. Put mutating plugins before validating ones, as Kubernetes
 * runs its mutating phase first.
 */
export class AdmissionChain implements Admission {
  constructor(private readonly plugins: readonly AdmissionPlugin[]) {}

  async admitCreate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, opts?: { readonly dryRun?: boolean }): Promise<void> {
    for (const p of this.plugins) await p.admitCreate?.(info, namespace, obj, opts);
  }

  async admitUpdate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, old: KubeObject): Promise<void> {
    for (const p of this.plugins) await p.admitUpdate?.(info, namespace, obj, old);
  }

  async admitDelete(info: ResourceInfo, namespace: string | undefined, obj: KubeObject): Promise<void> {
    for (const p of this.plugins) await p.admitDelete?.(info, namespace, obj);
  }

  async admitStatusUpdate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, old: KubeObject): Promise<void> {
    for (const p of this.plugins) await p.admitStatusUpdate?.(info, namespace, obj, old);
  }
}

/**
 * Kubernetes' admission.NewForbidden: 403 `<resource>[.<group>] "<name>" is forbidden: <why>`,
 * where the name is the object's name, else its generateName, else "Unknown".
 */
export function admissionForbidden(info: ResourceInfo, target: KubeObject | string, why: string, causes?: StatusDetails['causes']): ForbiddenError {
  const name = typeof target === 'string' ? target : target.metadata?.name || target.metadata?.generateName || 'Unknown';
  return new ForbiddenError(`${qualifiedResource(info.resource, info.group)} "${name}" is forbidden: ${why}`, {
    name,
    group: info.group,
    kind: info.resource,
    ...(causes ? { causes } : {}),
  });
}

/** True when `info` is the resource `group`/`resource`. */
export function isResource(info: Pick<ResourceInfo, 'group' | 'resource'>, group: string, resource: string): boolean {
  return info.group === group && info.resource === resource;
}
