/**
 * What every part of a pod sync shares: the agent's collaborators (runtime, PodSetup, probes,
 * back-off, events, clock) and the per-pod memory a worker keeps between syncs (waiting reasons,
 * when the last image pull failed, when the pod was first seen). Everything else is read again
 * from the API cache and the runtime on every sync (level-triggered).
 */
import type { ObjectReference } from '../../../lib/api/core-event';
import type { Container, Pod } from '../../../lib/api/types';
import type { Clock } from '../../../lib/client/clock';
import type { EventRecorder } from '../../../lib/client/events';
import type { Logger } from '../../../lib/logger';
import type { PodSetup } from '../pod-setup/pod-setup';
import type { ProbeManager } from '../probes/probe-manager';
import type { Runtime } from '../runtime/runtime';
import type { CrashBackoff } from './crash-backoff';
import type { Waiting } from './pod-status';

/** The agent's collaborators a sync uses. */
export interface PodSyncDeps {
  readonly runtime: Runtime;
  readonly setup: PodSetup;
  readonly probes: ProbeManager;
  readonly backoff: CrashBackoff;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The node's address: the pods' hostIP, and podIP on the host network. */
  readonly hostIP: string;
  /** Called once per pod when all its app containers first run: seconds since the agent first saw it. */
  readonly onPodStarted?: (seconds: number) => void;
}

/** What a worker remembers about its pod between syncs. */
export interface PodWorkState {
  readonly uid: string;
  /** Waiting reasons by container name (cleared when the container starts). */
  readonly waiting: Map<string, Waiting>;
  /** When an image pull of the pod last failed, by image. */
  readonly pullFailedAt: Map<string, number>;
  /** When the worker first saw the pod (clock ms). */
  readonly firstSeenMs: number;
  startReported: boolean;
  /** A pod-level end (activeDeadlineSeconds). */
  terminal?: { phase: 'Failed'; reason: string; message: string };
}

export function newPodWorkState(uid: string, now: number): PodWorkState {
  return { uid, waiting: new Map(), pullFailedAt: new Map(), firstSeenMs: now, startReported: false };
}

/** The Event reference of a container of `pod` (fieldPath spec.containers{name} / spec.initContainers{name}). */
export function containerRef(pod: Pod, container: Container): ObjectReference {
  const init = (pod.spec?.initContainers ?? []).some((c) => c.name === container.name);
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    namespace: pod.metadata.namespace,
    name: pod.metadata.name,
    uid: pod.metadata.uid,
    fieldPath: `spec.${init ? 'initContainers' : 'containers'}{${container.name ?? ''}}`,
  };
}

/** `name_namespace(uid)`, as the kubelet names a pod in messages. */
export function podDescription(pod: Pod): string {
  return `${pod.metadata.name}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}
