/**
 * A Job's pods: the pod made from the template (controllerRef, the tracking finalizer, and
 * for Indexed Jobs the completion index as annotation, label, env and hostname), and how a pod
 * counts (active, finished, terminating).
 */
import { isPodReady } from '../../../lib/api/pod-status';
import { RESOURCES } from '../../../lib/api/resources';
import type { Container, Job, Pod } from '../../../lib/api/types';
import { newControllerRef } from '../../../lib/controller';
import { JOB_COMPLETION_INDEX_ANNOTATION, JOB_COMPLETION_INDEX_ENV } from './completion-index';

/** The finalizer that keeps a Job's finished pod until the Job's status counted it. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

/** Whether the Job's completionMode is Indexed. */
export function isIndexed(job: Job): boolean {
  return job.spec?.completionMode === 'Indexed';
}

/** Whether the pod's phase is Succeeded or Failed. */
export function isFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** A pod that runs or will run: not finished, not being deleted. */
export function isActive(pod: Pod): boolean {
  return !isFinished(pod) && !pod.metadata.deletionTimestamp;
}

/** Whether the pod's Ready condition is True. */
export const isReady = isPodReady;

/** Whether the pod still carries {@link JOB_TRACKING_FINALIZER}. */
export function hasTrackingFinalizer(pod: Pod): boolean {
  return (pod.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
}

/**
 * How a pod the Job tracks ended, once it ended: Succeeded, or Failed — also a pod deleted
 * before it finished (Kubernetes counts those as failures).
 */
export function terminalOutcome(pod: Pod): 'succeeded' | 'failed' | undefined {
  if (pod.status?.phase === 'Succeeded') return 'succeeded';
  if (pod.status?.phase === 'Failed' || pod.metadata.deletionTimestamp) return 'failed';
  return undefined;
}

/**
 * The pod to create for `job` (for `index` when Indexed): the template's labels, annotations
 * and spec; the controllerRef; the tracking finalizer; for an index, the
 * `batch.kubernetes.io/job-completion-index` annotation and label, `JOB_COMPLETION_INDEX`
 * (from that annotation through the downward API) in every container and init container, and
 * hostname `<job>-<index>` unless the template sets one. Named `<job>-` (`<job>-<index>-`) plus
 * the apiserver's suffix.
 */
export function podForJob(job: Job, index?: number): Pod {
  const tmpl = job.spec?.template ?? {};
  const name = job.metadata.name ?? '';
  const labels = { ...(tmpl.metadata?.labels ?? {}) };
  const annotations = { ...(tmpl.metadata?.annotations ?? {}) };
  const spec = structuredClone(tmpl.spec ?? {});
  if (index !== undefined) {
    annotations[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
    labels[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
    spec.hostname ??= `${name}-${index}`;
    const withIndex = (c: Container): Container => ({
      ...c,
      env: [
        ...(c.env ?? []).filter((e) => e.name !== JOB_COMPLETION_INDEX_ENV),
        { name: JOB_COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']` } } },
      ],
    });
    spec.containers = (spec.containers ?? []).map(withIndex);
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndex);
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      namespace: job.metadata.namespace,
      labels,
      annotations,
      finalizers: [JOB_TRACKING_FINALIZER],
      ownerReferences: [newControllerRef(job, RESOURCES.jobs)],
    },
    spec,
  };
}
