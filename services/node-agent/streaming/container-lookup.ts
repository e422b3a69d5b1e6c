/**
 * Finds a pod's containers from the runtime alone (no API access, like the kubelet's streaming
 * server reading its runtime cache): by the io.kubernetes.pod.* labels, the highest
 * metadata.attempt being the current container and the one before it `previous`. Failures are
 * the ApiErrors Kubernetes answers with, so they pass through the apiserver to kubectl as is.
 */
import { ApiError, BadRequestError } from '../../../lib/api/errors';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, type ContainerStatus, type PodSandboxStatus, type Runtime } from '../runtime/runtime';

/** A pod's container as addressed in a streaming path. */
export interface ContainerRef {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

/** The attempts of one container of a pod, newest first. */
export async function containerAttempts(runtime: Runtime, ref: ContainerRef): Promise<ContainerStatus[]> {
  const all = await runtime.listContainers({
    labelSelector: { [LABEL_POD_NAMESPACE]: ref.namespace, [LABEL_POD_NAME]: ref.pod, [LABEL_CONTAINER_NAME]: ref.container },
  });
  return all.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
}

/**
 * The container whose log to read: the current attempt, or with `previous` the one before it.
 * 400 "waiting to start" while none has started; 400 "previous terminated container … not
 * found" when there was no earlier attempt.
 */
export async function containerForLogs(runtime: Runtime, ref: ContainerRef, previous: boolean): Promise<ContainerStatus> {
  const attempts = await containerAttempts(runtime, ref);
  if (previous) {
    const prev = attempts[1];
    if (!prev) throw new BadRequestError(`previous terminated container "${ref.container}" in pod "${ref.pod}" not found`);
    return prev;
  }
  const current = attempts[0];
  if (!current || (current.state === 'created' && current.startedAt === 0)) throw waitingToStart(ref, 'ContainerCreating');
  return current;
}

/** The running container to exec in or attach to; 400 when it is not running. */
export async function runningContainer(runtime: Runtime, ref: ContainerRef): Promise<ContainerStatus> {
  const current = (await containerAttempts(runtime, ref))[0];
  if (!current) throw waitingToStart(ref, 'ContainerCreating');
  if (current.state !== 'running') throw new BadRequestError(`container not found ("${ref.container}")`);
  return current;
}

/** The ready sandbox of a pod (port-forward); 404 when the pod runs no sandbox on this node. */
export async function podSandbox(runtime: Runtime, namespace: string, pod: string): Promise<PodSandboxStatus> {
  const sandboxes = await runtime.listPodSandboxes({ labelSelector: { [LABEL_POD_NAMESPACE]: namespace, [LABEL_POD_NAME]: pod } });
  const ready = sandboxes.filter((s) => s.state === 'ready').sort((a, b) => b.metadata.attempt - a.metadata.attempt);
  if (!ready[0]) throw new ApiError(404, 'NotFound', `pod "${pod}" in namespace "${namespace}" has no running sandbox on this node`);
  return ready[0];
}

function waitingToStart(ref: ContainerRef, reason: string): ApiError {
  return new BadRequestError(`container "${ref.container}" in pod "${ref.pod}" is waiting to start: ${reason}`);
}
