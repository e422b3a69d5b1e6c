/**
 * The boundary between the node agent and whatever runs containers, shaped like Kubernetes' CRI
 * (runtime.v1 RuntimeService + ImageService): pod sandboxes that own a pod's network and shared
 * namespaces, containers inside them, images, status, stats and the streaming calls (exec,
 * attach, port-forward). The agent above it never knows which runtime runs; the process, docker
 * and fake runtimes implement it and pass one conformance suite (runtime/conformance.ts).
 *
 * Differences from the CRI, on purpose:
 * - in-process (like dockershim inside the kubelet), so calls are plain async methods and the
 *   streaming calls return streams instead of a URL to a streaming server;
 * - times are milliseconds since the epoch (0 = not yet), not nanoseconds;
 * - container events come as a listener rather than a gRPC stream.
 *
 * What every runtime guarantees:
 * - State outlives the runtime object and the agent process: a new Runtime opened on the same
 *   root (or the same Docker engine) lists the same sandboxes and containers, with their labels
 *   and annotations, and running containers keep running while no agent runs (kill -9 of the
 *   agent restarts nothing).
 * - A container's stdout and stderr end up in `<sandbox logDirectory>/<container logPath>` in the
 *   CRI log format, one line per record: `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`
 *   (F = full line, P = partial line cut at the runtime's buffer size), written as they come,
 *   also while no agent runs. The agent reads these files for `kubectl logs`.
 * - Exit codes as a shell reports them: 128+signal for a signal death (137 for SIGKILL), and
 *   reason `OOMKilled` when the kernel (or engine) killed it for its memory limit; otherwise
 *   reason `Completed` (exit 0) or `Error`.
 */
import type { Duplex, Readable, Writable } from 'node:stream';

export type SandboxState = 'ready' | 'notready';
export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** Labels the agent puts on sandboxes and containers (the kubelet's names), so a restarted agent finds its pods. */
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** Annotations the agent keeps on containers: the spec hash and the restart count it had when created. */
export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';

export interface PodSandboxMetadata {
  name: string;
  namespace: string;
  uid: string;
  /** How many sandboxes this pod had before (0 for the first). */
  attempt: number;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  /** A hostPort the runtime opens on the node (0 / absent: none). */
  hostPort?: number;
  hostIp?: string;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  /** The pod's hostname (`spec.hostname` or the pod name), written to /etc/hostname and set in its UTS namespace. */
  hostname: string;
  /** Absolute directory for the pod's container logs (the kubelet's /var/log/pods/<ns>_<name>_<uid>). */
  logDirectory: string;
  /** The resolv.conf the runtime writes for the sandbox; absent = the node's own. */
  dnsConfig?: DnsConfig;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux: {
    /** Share the node's network namespace (spec.hostNetwork): no IP of its own. */
    hostNetwork: boolean;
    hostPid?: boolean;
    hostIpc?: boolean;
    /** The pod-level cgroup the containers go under (QoS class / pod uid), runtime-relative. */
    cgroupParent?: string;
    sysctls?: Record<string, string>;
  };
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: SandboxState;
  createdAt: number;
  /** The pod's addresses; empty on the host network (the agent then reports the node's address). */
  network: { ip: string; additionalIps: string[] };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Runtime-specific facts for the status API and `describe` (e.g. netns path, sandbox container id). */
  info?: Record<string, string>;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  /** A single file bind-mounted over a file (configMap subPath, /etc/hosts, termination log). */
  isFile?: boolean;
}

export interface LinuxContainerResources {
  /** CFS period and quota in microseconds (limits.cpu); absent = unlimited. */
  cpuPeriod?: number;
  cpuQuota?: number;
  /** Relative weight from requests.cpu (2..262144, as the kubelet computes it). */
  cpuShares?: number;
  /** limits.memory in bytes; absent = unlimited. */
  memoryLimitInBytes?: number;
  /** The pids cgroup limit (the node's podPidsLimit); absent = unlimited. */
  pidsLimit?: number;
  oomScoreAdj?: number;
}

export interface ContainerSecurity {
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  privileged?: boolean;
  readonlyRootfs?: boolean;
  capabilities?: { add: string[]; drop: string[] };
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface ContainerConfig {
  metadata: { name: string; attempt: number };
  /** The image reference as the pod names it (e.g. `busybox:1.36`); pullImage has made it present. */
  image: string;
  /** Entrypoint override (the container's `command`); empty = the image's entrypoint. */
  command: string[];
  /** Arguments (the container's `args`); empty with empty command = the image's cmd. */
  args: string[];
  workingDir?: string;
  /** The environment, already resolved and expanded by the agent, in order. */
  envs: KeyValue[];
  mounts: Mount[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Relative to the sandbox's logDirectory, e.g. `web/0.log`. */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  linux: { resources: LinuxContainerResources; security: ContainerSecurity };
}

export interface ContainerStatus {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number };
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** The image as configured, and the id the runtime resolved it to (`docker-pullable://…` / `sha256:…`). */
  image: string;
  imageRef: string;
  /** `Completed`, `Error`, `OOMKilled` for exited containers; a runtime-specific reason otherwise. */
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: Mount[];
  /** Absolute path of the container's CRI-format log file. */
  logPath: string;
}

export interface ContainerFilter {
  podSandboxId?: string;
  state?: ContainerState;
  /** Every pair must match the container's labels. */
  labelSelector?: Record<string, string>;
}

export interface SandboxFilter {
  state?: SandboxState;
  labelSelector?: Record<string, string>;
}

export interface ContainerStats {
  id: string;
  podSandboxId: string;
  timestamp: number;
  /** Cumulative CPU time, nanoseconds. */
  cpuUsageCoreNanoSeconds: number;
  /** Memory in use minus inactive file pages (what OOM decisions and `kubectl top` use), bytes. */
  memoryWorkingSetBytes: number;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

export interface RuntimeCondition {
  type: 'RuntimeReady' | 'NetworkReady';
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatus {
  conditions: RuntimeCondition[];
  /** Facts for the Node and its conditions, e.g. `{ podNetwork: 'host' }` when pods cannot get their own network. */
  info: Record<string, string>;
}

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * A running exec or attach. With a TTY, stderr is merged into stdout (as a terminal does).
 * `exit` resolves when the command (for attach: the container, or the caller's detach) ends.
 */
export interface StreamSession {
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
  resize(size: { width: number; height: number }): void;
  /** Ends the session from the caller's side (client went away): the exec'd process is killed, an attach detaches. */
  close(): void;
  exit: Promise<{ exitCode: number }>;
}

export interface ExecSyncResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** True when the timeout killed the command (exitCode is then meaningless). */
  timedOut: boolean;
}

export type ContainerEventType = 'created' | 'started' | 'stopped' | 'deleted';
export interface ContainerEvent {
  type: ContainerEventType;
  containerId: string;
  podSandboxId: string;
  timestamp: number;
}

/** Why a runtime call failed; `code` lets the agent pick the pod's waiting reason. */
export type RuntimeErrorCode =
  /** No such sandbox / container / image. */
  | 'NotFound'
  /** The image is not present and cannot be pulled (ErrImagePull; repeated: ImagePullBackOff). */
  | 'ImagePull'
  /** The container config cannot be used (CreateContainerError / RunContainerError). */
  | 'InvalidConfig'
  /** The sandbox cannot be created (network, namespaces: FailedCreatePodSandBox). */
  | 'SandboxFailed'
  | 'Internal';

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RuntimeError';
  }
}

export interface ImageService {
  /** Makes the image present and returns its id (imageRef). Throws RuntimeError('ImagePull') naming the image. */
  pullImage(image: string): Promise<string>;
  /** The image when present locally, else null. */
  imageStatus(image: string): Promise<Image | null>;
  listImages(): Promise<Image[]>;
  removeImage(image: string): Promise<void>;
}

export interface RuntimeService {
  version(): Promise<{ runtimeName: string; runtimeVersion: string }>;
  status(): Promise<RuntimeStatus>;
  /** The node's podCIDR, once node IPAM assigned it; sandboxes created before it get host networking or fail (runtime's choice, stated in status()). */
  updateRuntimeConfig(config: { podCIDR: string }): Promise<void>;

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stops every container of the sandbox (at once, SIGKILL) and releases its network; idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  /** Removes the sandbox and its containers (stopping them first); idempotent. */
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  listPodSandboxes(filter?: SandboxFilter): Promise<PodSandboxStatus[]>;

  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM (or the image's stop signal), then SIGKILL after timeoutSeconds (0 = at once); resolves once it has exited; idempotent. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** Removes an exited container and its log; a running one is killed first. Idempotent. */
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus>;
  listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]>;

  /** Runs a command in a running container and collects its output (exec probes, preStop/postStart hooks). */
  execSync(containerId: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult>;
  exec(containerId: string, cmd: string[], options: StreamOptions): Promise<StreamSession>;
  attach(containerId: string, options: StreamOptions): Promise<StreamSession>;
  /** A byte stream to `port` on the pod's loopback/network (port-forward). */
  portForward(podSandboxId: string, port: number): Promise<Duplex>;

  containerStats(id: string): Promise<ContainerStats | null>;
  listContainerStats(filter?: ContainerFilter): Promise<ContainerStats[]>;

  /** Container state changes as they happen (the agent also relists every second). Returns the unsubscribe. */
  onContainerEvent(listener: (event: ContainerEvent) => void): () => void;

  /** Releases the runtime object's resources (watchers, connections) — never the containers. */
  close(): Promise<void>;
}

/** What the agent holds: both halves, like a CRI endpoint serving both services. */
export interface Runtime extends RuntimeService, ImageService {
  /** `process`, `docker`, `fake`. */
  readonly name: string;
}
