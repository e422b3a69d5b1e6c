/**
 * What the node agent's pod workers ask of the node before they create a sandbox or a container:
 * the pod's volumes on disk, the sandbox config (DNS, hostname, ports, log directory) and each
 * container's runtime config (resolved environment, mounts, resources). Kept apart from the pod
 * worker so the worker's state machine can be tested with a trivial implementation, and so these
 * rules (Kubernetes' env, volume and DNS semantics) are tested on their own.
 */
import type { Container, Pod } from '../../../lib/api/types';
import type { ContainerConfig, PodSandboxConfig } from '../runtime/runtime';

/**
 * A container cannot be configured (missing ConfigMap/Secret key, bad reference): the container
 * waits with reason CreateContainerConfigError and this message (Kubernetes' wording, e.g.
 * `couldn't find key k in ConfigMap default/c`), and the worker retries on the next sync.
 */
export class ContainerConfigError extends Error {
  readonly reason = 'CreateContainerConfigError';
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

/** A volume cannot be set up: a FailedMount event with this message; the pod stays ContainerCreating and is retried. */
export class VolumeSetupError extends Error {
  readonly reason = 'FailedMount';
  constructor(message: string) {
    super(message);
    this.name = 'VolumeSetupError';
  }
}

/** Facts about the running pod that a container's config may refer to (downward API, `$(VAR)`). */
export interface ContainerRuntimeFacts {
  /** The pod's IP ('' on the host network before the node address is known). */
  podIP: string;
  podIPs: string[];
  hostIP: string;
  /** The runtime attempt number for this container (its restart count). */
  attempt: number;
}

export interface PodSetup {
  /**
   * Makes every volume of the pod present on the node, and brings configMap/secret/downwardAPI/
   * projected contents up to date (atomically: a reader never sees a half-written set). Idempotent
   * and cheap when nothing changed: the worker calls it on every sync of the pod.
   * Throws VolumeSetupError.
   */
  setUpVolumes(pod: Pod): Promise<void>;
  /**
   * Milliseconds until something setUpVolumes wrote is due for rewriting (a projected
   * ServiceAccount token at 80 % of its lifetime): the worker syncs the pod again by then.
   * Undefined (or absent): nothing expires.
   */
  volumeRefreshInMs?(pod: Pod): number | undefined;
  /** Removes what setUpVolumes made for the pod (emptyDirs, projected files); never touches hostPath/PV data. */
  tearDownVolumes(podUid: string): Promise<void>;
  /** The sandbox config for the pod's `attempt`-th sandbox. Throws ContainerConfigError for an unusable dnsConfig. */
  sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig;
  /** The runtime config of one container (init, sidecar or app). Throws ContainerConfigError. */
  containerConfig(pod: Pod, container: Container, facts: ContainerRuntimeFacts): Promise<ContainerConfig>;
}
