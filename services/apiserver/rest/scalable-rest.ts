import { BadRequestError, ConflictError, InvalidError } from '../../../lib/api/errors';
import { selectorFromLabelSelector, selectorFromSet, type LabelSelector } from '../../../lib/api/label-selector';
import type { KubeObject } from '../../../lib/api/object';
import { applyPatch } from '../../../lib/api/patch';
import type { JsonObject } from '../../../lib/api/patch/json-value';
import { isConflict } from '../../../lib/api/status';
import { GenericRest } from './generic-rest';
import { parsePatch } from './patch-validation';
import type { Scale, ScalableRest, WriteOptions } from './resource-rest';

/** The apiVersion of the scale subresource's body. */
export const SCALE_API_VERSION = 'autoscaling/v1';
/** Attempts of a scale patch that loses a compare-and-swap race. */
export const SCALE_PATCH_ATTEMPTS = 5;

/** An object with spec.replicas and a label selector (Deployment, ReplicaSet, StatefulSet). */
interface Replicated extends KubeObject {
  spec?: { replicas?: number; selector?: LabelSelector | Record<string, string>; [field: string]: unknown };
  status?: { replicas?: number; [field: string]: unknown };
}

/**
 * A resource with the scale subresource: an autoscaling/v1 Scale view of spec.replicas,
 * status.replicas and the selector; updating it changes only spec.replicas (through the same
 * compare-and-swap as any update; a resourceVersion in the Scale is a precondition).
 */
export class ScalableGenericRest<T extends Replicated> extends GenericRest<T> implements ScalableRest {
  async getScale(namespace: string | undefined, name: string): Promise<Scale> {
    return this.scaleOf(await this.get(namespace, name));
  }

  async updateScale(namespace: string | undefined, name: string, scale: Scale, opts: WriteOptions = {}): Promise<Scale> {
    if (scale === null || typeof scale !== 'object' || Array.isArray(scale)) throw new BadRequestError('the request body must be a Scale object');
    if (scale.kind !== undefined && scale.kind !== '' && scale.kind !== 'Scale') {
      throw new BadRequestError(`the kind in the data (${String(scale.kind)}) does not match the expected kind (Scale)`);
    }
    const replicas = scale.spec?.replicas;
    if (replicas === undefined || !Number.isInteger(replicas) || replicas < 0 || replicas > 2 ** 31 - 1) {
      const value = replicas === undefined ? 'null' : JSON.stringify(replicas);
      throw new InvalidError('Scale', 'autoscaling', name, [
        { type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${value}: must be greater than or equal to 0` },
      ]);
    }
    if (scale.metadata?.name && scale.metadata.name !== name) {
      throw new BadRequestError(`the name of the object (${scale.metadata.name}) does not match the name on the URL (${name})`);
    }
    const precondition = scale.metadata?.resourceVersion || undefined;
    const updated = await this.store.guaranteedUpdate(
      this.requestNamespace(namespace),
      name,
      (current) => {
        if (precondition !== undefined && precondition !== current.metadata.resourceVersion) {
          throw new ConflictError(this.info.resource, this.info.group, name);
        }
        const next = { ...current, spec: { ...(current.spec ?? {}), replicas } };
        return this.recordWrite(current, next, opts.fieldManager, 'scale');
      },
      { dryRun: opts.dryRun },
    );
    return this.scaleOf(updated);
  }

  async patchScale(namespace: string | undefined, name: string, patchType: string, patch: Buffer | string, opts: WriteOptions = {}): Promise<Scale> {
    parsePatch(patchType, patch); // a malformed patch: the client's 400 before any read
    for (let attempt = 1; ; attempt++) {
      const current = await this.getScale(namespace, name);
      const patched = applyPatch(current as unknown as JsonObject, patchType, patch, { apiVersion: SCALE_API_VERSION, kind: 'Scale' }) as unknown as Scale;
      try {
        return await this.updateScale(namespace, name, patched, opts);
      } catch (err) {
        // The Scale read carries its resourceVersion: a concurrent write makes it stale; read again.
        if (!isConflict(err) || attempt >= SCALE_PATCH_ATTEMPTS || patched.metadata?.resourceVersion !== current.metadata.resourceVersion) throw err;
      }
    }
  }

  /** Whether `sel` is a label map (core/v1 ReplicationController) rather than a LabelSelector. */
  private isLegacyMap(sel: unknown): boolean {
    return typeof sel === 'object' && sel !== null && !('matchLabels' in sel) && !('matchExpressions' in sel) && Object.values(sel).every((v) => typeof v === 'string');
  }

  private scaleOf(obj: T): Scale {
    let selector = '';
    try {
      // A ReplicationController's selector is a plain label map; the apps kinds' a LabelSelector.
      selector = (obj.kind === 'ReplicationController' || this.isLegacyMap(obj.spec?.selector)
        ? selectorFromSet((obj.spec?.selector ?? {}) as Record<string, string>)
        : selectorFromLabelSelector(obj.spec?.selector as LabelSelector | undefined)
      ).toString();
    } catch {
      selector = '';
    }
    const m = obj.metadata;
    return {
      apiVersion: SCALE_API_VERSION,
      kind: 'Scale',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: obj.spec?.replicas ?? 0 },
      status: { replicas: obj.status?.replicas ?? 0, selector },
    };
  }
}
