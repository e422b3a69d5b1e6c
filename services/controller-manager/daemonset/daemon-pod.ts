/**
 * The pods a DaemonSet makes (Kubernetes' daemon util): the template plus the tolerations every
 * daemon pod gets, pinned to one node by a required node-affinity term `matchFields
 * metadata.name In [node]` so the scheduler (not the controller) binds it, and labelled with the
 * hash of the template's ControllerRevision so an update can tell new pods from old. Pure functions.
 */
import type { DaemonSet } from '../../../lib/api/types/apps';
import type { Affinity, Pod, PodSpec, Toleration } from '../../../lib/api/types/core';
import { CONTROLLER_REVISION_HASH_LABEL, hashRevisionData, templateRevisionData } from '../../../lib/controller/history';
import { NODE_FIELD_NAME } from '../../scheduler/algorithm/node-selector';

/** The label carrying the hash of the template a daemon pod was made from (apps/v1 DefaultDaemonSetUniqueLabelKey). */
export { CONTROLLER_REVISION_HASH_LABEL };

const NO_EXECUTE = 'NoExecute';
const NO_SCHEDULE = 'NoSchedule';

/**
 * Tolerations Kubernetes' DaemonSet controller adds to every daemon pod: daemons stay through
 * not-ready/unreachable (no tolerationSeconds: forever), node pressure and cordoning.
 */
export const DAEMON_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: NO_EXECUTE },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: NO_EXECUTE },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: NO_SCHEDULE },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: NO_SCHEDULE },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: NO_SCHEDULE },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: NO_SCHEDULE },
];
/** Added only when the pod uses the host network (it does not need the pod network). */
export const HOST_NETWORK_TOLERATION: Toleration = { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: NO_SCHEDULE };

function sameToleration(a: Toleration, b: Toleration): boolean {
  return a.key === b.key && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
}

/** The template's tolerations plus the daemon ones it does not already carry. */
export function daemonTolerations(spec: PodSpec | undefined): Toleration[] {
  const own = Array.isArray(spec?.tolerations) ? [...spec.tolerations] : [];
  const extra = spec?.hostNetwork ? [...DAEMON_TOLERATIONS, HOST_NETWORK_TOLERATION] : DAEMON_TOLERATIONS;
  for (const t of extra) if (!own.some((o) => sameToleration(o, t))) own.push({ ...t });
  return own;
}

/**
 * Kubernetes' ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes one
 * term selecting exactly `nodeName` (the controller has already checked the node against the
 * template's own terms); preferred terms and pod (anti-)affinity are kept.
 */
export function affinityForNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const a: Affinity = structuredClone(affinity ?? {});
  a.nodeAffinity = {
    ...(a.nodeAffinity ?? {}),
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: NODE_FIELD_NAME, operator: 'In', values: [nodeName] }] }] },
  };
  return a;
}

/**
 * The node a daemon pod is for: spec.nodeName once bound, else the node its matchFields
 * affinity names (Kubernetes' GetTargetNodeName); undefined for a pod pinned to no node.
 */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = (pod.spec?.affinity as Affinity | undefined)?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!Array.isArray(terms)) return undefined;
  for (const term of terms) {
    for (const r of term?.matchFields ?? []) {
      if (r?.key === NODE_FIELD_NAME && r.operator === 'In' && Array.isArray(r.values) && r.values.length === 1) return r.values[0];
    }
  }
  return undefined;
}

/**
 * The hash of the DaemonSet's current template as a ControllerRevision under its
 * status.collisionCount (the value of controller-revision-hash on its up-to-date pods, and of
 * the revision's controller.kubernetes.io/hash label).
 */
export function daemonTemplateHash(ds: DaemonSet): string {
  const collisionCount = typeof ds.status?.collisionCount === 'number' ? ds.status.collisionCount : 0;
  return hashRevisionData(templateRevisionData(ds.spec?.template), collisionCount);
}

/** Whether the pod was made from the DaemonSet's current template. */
export function isPodUpdated(pod: Pod, hash: string): boolean {
  return pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
}

/** The daemon pod for `nodeName` (without ownerReferences; the controller adds its controllerRef). */
export function newDaemonPod(ds: DaemonSet, nodeName: string, hash: string): Pod {
  const template = ds.spec?.template ?? {};
  const meta = template.metadata ?? {};
  const spec: PodSpec = structuredClone(template.spec ?? {});
  spec.tolerations = daemonTolerations(template.spec);
  spec.affinity = affinityForNode(template.spec?.affinity as Affinity | undefined, nodeName);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata.name}-`,
      namespace: ds.metadata.namespace,
      labels: { ...(meta.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
    },
    spec,
  };
}
