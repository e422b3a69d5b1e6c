/**
 * How the docker runtime keeps its state on the engine: everything the agent needs to rebuild a
 * sandbox's or container's status (metadata, annotations, log path, mounts, configured image) is
 * written into the Docker container's labels when it is created, so a new DockerRuntime — after
 * an agent restart or kill -9 — lists the same pods from the engine alone (dockershim did the
 * same). Internal labels use the `bosun.docker.` prefix and are hidden from the labels the
 * runtime reports back; the agent's own labels pass through unchanged.
 */
import { RuntimeError } from '../runtime';

/** dockershim's label telling sandboxes from app containers. */
export const LABEL_CONTAINER_TYPE = 'io.kubernetes.docker.type';
export const CONTAINER_TYPE_SANDBOX = 'podsandbox';
export const CONTAINER_TYPE_CONTAINER = 'container';
/** dockershim's label naming an app container's sandbox (Docker container id). */
export const LABEL_SANDBOX_ID = 'io.kubernetes.sandbox.id';

const INTERNAL_PREFIX = 'bosun.docker.';
/** The node (runtime instance) that owns the container: several nodes may share one engine. */
export const LABEL_NODE = `${INTERNAL_PREFIX}node`;
/** JSON of the sandbox's or container's CRI metadata. */
export const LABEL_METADATA = `${INTERNAL_PREFIX}metadata`;
/** JSON of the CRI annotations (Docker has labels only). */
export const LABEL_ANNOTATIONS = `${INTERNAL_PREFIX}annotations`;
/** Sandbox: absolute log directory. Container: absolute CRI log file. */
export const LABEL_LOG_DIRECTORY = `${INTERNAL_PREFIX}log-directory`;
export const LABEL_LOG_PATH = `${INTERNAL_PREFIX}log-path`;
/** Container: JSON of its CRI mounts (as configured, so status reports them unchanged). */
export const LABEL_MOUNTS = `${INTERNAL_PREFIX}mounts`;
/** Container: the image reference as the pod named it. */
export const LABEL_IMAGE = `${INTERNAL_PREFIX}image`;
/** Sandbox: 'true' when it shares the node's network. */
export const LABEL_HOST_NETWORK = `${INTERNAL_PREFIX}host-network`;

/** True for labels the runtime keeps for itself (never reported as the agent's labels). */
export function isInternalLabel(key: string): boolean {
  return key.startsWith(INTERNAL_PREFIX) || key === LABEL_CONTAINER_TYPE || key === LABEL_SANDBOX_ID;
}

/** The agent's labels, without the runtime's own. */
export function userLabels(labels: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) if (!isInternalLabel(k)) out[k] = v;
  return out;
}

/** Reads a JSON label written by this runtime; a missing or damaged one is an Internal error naming the container. */
export function jsonLabel<T>(labels: Record<string, string> | undefined, key: string, id: string, fallback?: T): T {
  const raw = labels?.[key];
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    throw new RuntimeError('Internal', `docker container ${id} has no ${key} label`);
  }
  try {
    return JSON.parse(raw) as T;
  } catch (err) {
    throw new RuntimeError('Internal', `docker container ${id} has a malformed ${key} label`, { cause: err });
  }
}

/** Docker container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]; anything else becomes '-'. */
function nameSafe(part: string): string {
  return part.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/** dockershim's sandbox name: `k8s_POD_<pod>_<namespace>_<uid>_<attempt>`. */
export function sandboxContainerName(meta: { name: string; namespace: string; uid: string; attempt: number }): string {
  return ['k8s', 'POD', meta.name, meta.namespace, meta.uid, String(meta.attempt)].map(nameSafe).join('_');
}

/** dockershim's container name: `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`. */
export function appContainerName(
  container: { name: string; attempt: number },
  pod: { name: string; namespace: string; uid: string },
): string {
  return ['k8s', container.name, pod.name, pod.namespace, pod.uid, String(container.attempt)].map(nameSafe).join('_');
}
