/**
 * The subset of the kubelet's Summary API (`GET /stats/summary`, stats/v1alpha1) that resource
 * metrics need: the node's and every running pod's containers' cumulative CPU time
 * (`usageCoreNanoSeconds`) and memory working set, each with the time it was read. Rates
 * (`usageNanoCores`) are the reader's business (the apiserver's metrics API takes them between
 * two summaries), as metrics-server does with the kubelet's cumulative counters.
 */
import { LABEL_CONTAINER_NAME, type ContainerStats, type Runtime } from '../runtime/runtime';
import type { HostUsage } from './host-usage';

/** CPU figures of one object at `time`. */
export interface CpuStats {
  readonly time: string;
  readonly usageCoreNanoSeconds: number;
}

/** Memory figures of one object at `time`. */
export interface MemoryStats {
  readonly time: string;
  readonly workingSetBytes: number;
}

/** One container's figures. */
export interface ContainerSummary {
  readonly name: string;
  readonly startTime: string;
  readonly cpu: CpuStats;
  readonly memory: MemoryStats;
}

/** One pod's figures (the sum of its containers). */
export interface PodSummary {
  readonly podRef: { readonly name: string; readonly namespace: string; readonly uid: string };
  readonly startTime: string;
  readonly containers: ContainerSummary[];
  readonly cpu: CpuStats;
  readonly memory: MemoryStats;
}

/** The Summary document. */
export interface StatsSummary {
  readonly node: { readonly nodeName: string; readonly cpu: CpuStats; readonly memory: MemoryStats };
  readonly pods: PodSummary[];
}

/**
 * The summary of `runtime`'s running containers (grouped by their ready sandbox) and the node's
 * usage `host` read at `now` (ms since the epoch).
 */
export async function statsSummary(nodeName: string, runtime: Runtime, host: HostUsage, now: number): Promise<StatsSummary> {
  const at = new Date(now).toISOString();
  const [sandboxes, containers, stats] = await Promise.all([
    runtime.listPodSandboxes({ state: 'ready' }),
    runtime.listContainers({ state: 'running' }),
    runtime.listContainerStats({ state: 'running' }),
  ]);
  const statsById = new Map<string, ContainerStats>(stats.map((s) => [s.id, s]));
  const pods: PodSummary[] = [];
  for (const sandbox of sandboxes) {
    const own: ContainerSummary[] = [];
    for (const c of containers) {
      const s = statsById.get(c.id);
      if (c.podSandboxId !== sandbox.id || !s) continue;
      const time = new Date(s.timestamp).toISOString();
      own.push({
        name: c.labels[LABEL_CONTAINER_NAME] ?? c.metadata.name,
        startTime: new Date(c.startedAt || c.createdAt).toISOString(),
        cpu: { time, usageCoreNanoSeconds: s.cpuUsageCoreNanoSeconds },
        memory: { time, workingSetBytes: s.memoryWorkingSetBytes },
      });
    }
    if (own.length === 0) continue;
    const { name, namespace, uid } = sandbox.metadata;
    pods.push({
      podRef: { name, namespace, uid },
      startTime: new Date(sandbox.createdAt).toISOString(),
      containers: own,
      cpu: { time: at, usageCoreNanoSeconds: own.reduce((sum, c) => sum + c.cpu.usageCoreNanoSeconds, 0) },
      memory: { time: at, workingSetBytes: own.reduce((sum, c) => sum + c.memory.workingSetBytes, 0) },
    });
  }
  return {
    node: { nodeName, cpu: { time: at, usageCoreNanoSeconds: host.cpuUsageCoreNanoSeconds }, memory: { time: at, workingSetBytes: host.memoryWorkingSetBytes } },
    pods,
  };
}
