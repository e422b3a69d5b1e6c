/**
 * The identity and storage of a StatefulSet's pods (Kubernetes' stateful_set_utils): pod
 * `<set>-<ordinal>` with hostname = its name and subdomain = spec.serviceName, the labels
 * statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index and controller-revision-hash,
 * and one PVC `<claim>-<set>-<ordinal>` per volumeClaimTemplate mounted as the volume of the
 * claim's name. Also the revision data of a set (its template as a strategic-merge patch that
 * replaces the template, what kubectl rollout undo applies) and the set a revision describes.
 * Pure functions.
 */
import type { OwnerReference } from '../../../lib/api/object';
import type { StatefulSet } from '../../../lib/api/types/apps';
import type { PersistentVolumeClaim, Pod, PodSpec, PodTemplateSpec, Volume } from '../../../lib/api/types/core';
import { CONTROLLER_REVISION_HASH_LABEL, revisionTemplate, templateRevisionData, type ControllerRevision } from '../../../lib/controller/history';

/** The pod label carrying the pod's name (a per-pod Service can select it). */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** The pod label carrying the pod's ordinal. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** The strategic-merge directive that makes a patch replace the whole template. */

const ORDINAL_SUFFIX_RE = /^(.*)-(\d+)$/;

/** The first ordinal of the set (spec.ordinals.start, default 0). */
export function startOrdinal(set: StatefulSet): number {
  const start = set.spec?.ordinals?.start;
  return typeof start === 'number' && Number.isInteger(start) && start > 0 ? start : 0;
}

/** spec.replicas (default 1, as the API defaults it). */
export function specReplicas(set: StatefulSet): number {
  const r = set.spec?.replicas;
  return typeof r === 'number' && Number.isInteger(r) && r >= 0 ? r : 1;
}

/** `<set>-<ordinal>`. */
export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata.name ?? ''}-${ordinal}`;
}

/** The ordinal of a pod named `<set>-<n>` of this set; undefined for any other pod. */
export function podOrdinal(set: StatefulSet, pod: Pod): number | undefined {
  const m = ORDINAL_SUFFIX_RE.exec(pod.metadata.name ?? '');
  if (!m || m[1] !== set.metadata.name) return undefined;
  const n = Number(m[2]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `<claim>-<set>-<ordinal>`: the PVC of one claim template for one ordinal. */
export function claimName(claimTemplateName: string, set: StatefulSet, ordinal: number): string {
  return `${claimTemplateName}-${podName(set, ordinal)}`;
}

/** The set's volumeClaimTemplates that are well-formed objects with a name. */
export function claimTemplates(set: StatefulSet): PersistentVolumeClaim[] {
  const list = Array.isArray(set.spec?.volumeClaimTemplates) ? set.spec.volumeClaimTemplates : [];
  return list.filter((c): c is PersistentVolumeClaim => !!c && typeof c === 'object' && typeof (c as PersistentVolumeClaim).metadata?.name === 'string');
}

/**
 * The PVCs the pod of `ordinal` uses (not yet stored): each claim template's spec, named for the
 * ordinal, labelled with the template's labels plus the set's matchLabels (Kubernetes').
 */
export function podClaims(set: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  const matchLabels = set.spec?.selector?.matchLabels ?? {};
  return claimTemplates(set).map((t) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(t.metadata.name ?? '', set, ordinal),
      namespace: set.metadata.namespace,
      labels: { ...(t.metadata.labels ?? {}), ...matchLabels },
      ...(t.metadata.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
    },
    spec: structuredClone(t.spec ?? {}),
  }));
}

/** The template's volumes with one `persistentVolumeClaim` volume per claim template (replacing a same-named volume). */
function podVolumes(set: StatefulSet, spec: PodSpec, ordinal: number): Volume[] {
  const claims = claimTemplates(set).map((t) => t.metadata.name ?? '');
  const own = (spec.volumes ?? []).filter((v) => !claims.includes(v.name ?? ''));
  return [...own, ...claims.map((name) => ({ name, persistentVolumeClaim: { claimName: claimName(name, set, ordinal) } }))];
}

/**
 * The pod of `ordinal` made from `set`'s template (use {@link applyRevision} for another
 * revision), labelled with `revisionName`, without ownerReferences (the controller adds its
 * controllerRef).
 */
export function newStatefulPod(set: StatefulSet, ordinal: number, revisionName: string): Pod {
  const template: PodTemplateSpec = set.spec?.template ?? {};
  const meta = template.metadata ?? {};
  const spec: PodSpec = structuredClone(template.spec ?? {});
  const name = podName(set, ordinal);
  if (claimTemplates(set).length > 0) spec.volumes = podVolumes(set, spec, ordinal);
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: { ...(meta.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [CONTROLLER_REVISION_HASH_LABEL]: revisionName },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
    },
    spec,
  };
}

/** The revision a pod was made from (its controller-revision-hash label). */
export function podRevision(pod: Pod): string | undefined {
  return pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
}

/**
 * The data of a set's revision (Kubernetes' getPatch): `{spec: {template: {…, $patch: replace}}}`,
 * a strategic-merge patch that puts the template back — what `kubectl rollout undo` sends.
 */
export function revisionData(set: StatefulSet): Record<string, unknown> {
  return templateRevisionData(set.spec?.template);
}

/** The set as `revision` describes it: its template replaced by the revision's (Kubernetes' ApplyRevision). */
export function applyRevision(set: StatefulSet, revision: ControllerRevision): StatefulSet {
  const template = revisionTemplate(revision) ?? structuredClone((set.spec?.template ?? {}) as Record<string, unknown>);
  return { ...set, spec: { ...(set.spec ?? {}), template: template as PodTemplateSpec } };
}

/** Whether `refs` holds an ownerReference to the object with `uid`. */
export function hasOwnerRef(refs: readonly OwnerReference[] | undefined, uid: string | undefined): boolean {
  return uid !== undefined && (refs ?? []).some((r) => r.uid === uid);
}
