/**
 * The Node object a node agent registers and the status it keeps on it: labels, capacity and
 * allocatable, addresses, nodeInfo, the kubelet endpoint, and the four conditions with the
 * kubelet's reasons and messages. Pure functions; the registrar writes what they make.
 */
import * as os from 'node:os';
import type { Node } from '../../../lib/api/types';
import type { RuntimeStatus } from '../runtime/runtime';
import { allocatableOf, type NodeConfig } from './node-config';

/** The Node's labels: hostname, os and arch (Kubernetes' well-known keys) plus the configured ones. */
export function nodeLabels(config: NodeConfig): Record<string, string> {
  return {
    'kubernetes.io/hostname': config.nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': goArch(process.arch),
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': goArch(process.arch),
    ...config.labels,
  };
}

/** Node's arch naming (Go's GOARCH) for Node's process.arch. */
function goArch(arch: string): string {
  return arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

/** The conditions for a runtime status (the kubelet's reasons); times are filled in by {@link withTimes}. */
export function nodeConditions(runtime: RuntimeStatus | undefined, runtimeError?: string): NodeCondition[] {
  const notReady = runtimeNotReady(runtime, runtimeError);
  return [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    notReady
      ? { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: notReady }
      : { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ];
}

/** Why the node is not ready (the runtime down or not ready), or undefined. */
function runtimeNotReady(runtime: RuntimeStatus | undefined, runtimeError: string | undefined): string | undefined {
  if (runtimeError !== undefined || !runtime) return `container runtime is down: ${runtimeError ?? 'no status'}`;
  const bad = runtime.conditions.filter((c) => !c.status);
  if (bad.length === 0) return undefined;
  return bad.map((c) => `container runtime ${c.type === 'NetworkReady' ? 'network' : 'status'} not ready: ${c.type}=false reason:${c.reason} message:${c.message}`).join(', ');
}

/** `next` with heartbeat `now`, and each condition's lastTransitionTime kept from `previous` unless its status changed. */
export function withTimes(next: NodeCondition[], previous: readonly NodeCondition[] | undefined, now: string): NodeCondition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return { ...c, lastHeartbeatTime: now, lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now };
  });
}

/** True when the conditions differ in anything but their times. */
export function conditionsChanged(a: readonly NodeCondition[] | undefined, b: readonly NodeCondition[]): boolean {
  const strip = (l: readonly NodeCondition[]) => JSON.stringify(l.map((c) => [c.type, c.status, c.reason, c.message]));
  return !a || strip(a) !== strip(b);
}

/** The status fields the agent owns (everything but conditions). */
export function nodeStatusFacts(config: NodeConfig, runtime: { runtimeName: string; runtimeVersion: string }): Record<string, unknown> {
  return {
    capacity: { ...config.capacity },
    allocatable: allocatableOf(config),
    addresses: [
      { type: 'InternalIP', address: config.address },
      { type: 'Hostname', address: config.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: config.kubeletPort } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: os.release(),
      osImage: os.version(),
      containerRuntimeVersion: `${runtime.runtimeName}://${runtime.runtimeVersion}`,
      kubeletVersion: 'v1.32.0-bosun',
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: goArch(process.arch),
    },
  };
}

/** The Node to create at registration. */
export function newNode(config: NodeConfig, status: Record<string, unknown>): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: config.nodeName, labels: nodeLabels(config) }, spec: {}, status };
}
