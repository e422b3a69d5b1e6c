/**
 * The API objects a pod refers to (what its node must read to run it): Secrets, ConfigMaps,
 * PersistentVolumeClaims and its ServiceAccount — the edges of the Node authorizer's graph.
 * Read from the pod's spec as Kubernetes' node graph does: image pull secrets; every
 * container's env and envFrom; secret, configMap, projected, persistentVolumeClaim and
 * ephemeral volumes; and the `secretRef` of any other volume source (CSI, CephFS, …).
 */
import type { Pod } from '../../../lib/api/types/core';

/** The kinds of object a pod can refer to, by their resource names. */
export type ReferencedResource = 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts';

/** One referenced object (in the pod's namespace). */
export interface PodReference {
  readonly resource: ReferencedResource;
  readonly name: string;
}

interface NamedRef {
  name?: string;
}
interface EnvSource {
  env?: { valueFrom?: { secretKeyRef?: NamedRef; configMapKeyRef?: NamedRef } }[];
  envFrom?: { secretRef?: NamedRef; configMapRef?: NamedRef }[];
}
type VolumeSource = Record<string, unknown> & {
  name?: string;
  secret?: { secretName?: string };
  configMap?: NamedRef;
  projected?: { sources?: { secret?: NamedRef; configMap?: NamedRef }[] };
  persistentVolumeClaim?: { claimName?: string };
  ephemeral?: unknown;
};

/** The objects `pod` refers to, each once. */
export function podReferences(pod: Pod): PodReference[] {
  const out = new Map<string, PodReference>();
  const add = (resource: ReferencedResource, name: string | undefined): void => {
    if (name) out.set(`${resource}/${name}`, { resource, name });
  };
  const spec = (pod.spec ?? {}) as {
    serviceAccountName?: string;
    imagePullSecrets?: NamedRef[];
    containers?: EnvSource[];
    initContainers?: EnvSource[];
    ephemeralContainers?: EnvSource[];
    volumes?: VolumeSource[];
  };
  add('serviceaccounts', spec.serviceAccountName);
  for (const s of spec.imagePullSecrets ?? []) add('secrets', s.name);
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c.env ?? []) {
      add('secrets', e.valueFrom?.secretKeyRef?.name);
      add('configmaps', e.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of c.envFrom ?? []) {
      add('secrets', e.secretRef?.name);
      add('configmaps', e.configMapRef?.name);
    }
  }
  for (const v of spec.volumes ?? []) {
    add('secrets', v.secret?.secretName);
    add('configmaps', v.configMap?.name);
    for (const s of v.projected?.sources ?? []) {
      add('secrets', s.secret?.name);
      add('configmaps', s.configMap?.name);
    }
    add('persistentvolumeclaims', v.persistentVolumeClaim?.claimName);
    // A generic ephemeral volume's claim is named <pod>-<volume> (Kubernetes' rule).
    if (v.ephemeral && pod.metadata.name && v.name) add('persistentvolumeclaims', `${pod.metadata.name}-${v.name}`);
    for (const source of Object.values(v)) {
      const ref = (source as { secretRef?: NamedRef; nodePublishSecretRef?: NamedRef } | undefined) ?? undefined;
      if (ref && typeof ref === 'object') {
        add('secrets', ref.secretRef?.name);
        add('secrets', ref.nodePublishSecretRef?.name);
      }
    }
  }
  return [...out.values()];
}
