/**
 * The NodeAgentStatus API's answer for one node: registration, runtime conditions and version,
 * and every pod the agent knows (bound in the API or still in the runtime) with its containers
 * as the runtime last listed them and the reasons they wait for.
 */
import type { ContainerInfo, NodeInfo, PodInfo } from '../../gen/bosun/node_agent';
import type { NodeAgent } from './node-agent';
import { restartCountOf } from './pods/runtime-pod';
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from './runtime/runtime';

/** The status of `agent`'s node. */
export async function nodeInfoOf(agent: NodeAgent, runtimeName: string, version: () => Promise<{ runtimeVersion: string }>): Promise<NodeInfo> {
  const reg = agent.registrar.state;
  const { sandboxes, containers } = agent.snapshot;
  const uids = new Set<string>([...agent.boundPods().map((p) => p.metadata.uid ?? ''), ...sandboxes.map((s) => s.labels[LABEL_POD_UID] ?? '')]);
  const pods: PodInfo[] = [...uids].filter((u) => u !== '').map((uid) => {
    const pod = agent.podOf(uid);
    const sandbox = sandboxes.find((s) => s.labels[LABEL_POD_UID] === uid && s.state === 'ready') ?? sandboxes.find((s) => s.labels[LABEL_POD_UID] === uid);
    const waiting = agent.workers.stateOf(uid)?.waiting;
    const initNames = new Set((pod?.spec?.initContainers ?? []).map((c) => c.name));
    const list: ContainerInfo[] = containers
      .filter((c) => c.labels[LABEL_POD_UID] === uid)
      .map((c) => ({
        name: c.metadata.name,
        id: c.id,
        state: c.state,
        exitCode: c.exitCode,
        restartCount: restartCountOf(c),
        ready: c.state === 'running' && agent.probes.result(uid, c.id, 'readiness') === 'success',
        waitingReason: waiting?.get(c.metadata.name)?.reason ?? '',
        init: initNames.has(c.metadata.name),
      }));
    return {
      pod: `${pod?.metadata.namespace ?? sandbox?.labels[LABEL_POD_NAMESPACE] ?? ''}/${pod?.metadata.name ?? sandbox?.labels[LABEL_POD_NAME] ?? ''}`,
      uid,
      phase: (pod?.status?.phase as string | undefined) ?? '',
      podIp: sandbox?.network.ip ?? '',
      sandboxId: sandbox?.id ?? '',
      terminating: !pod || !!pod.metadata.deletionTimestamp,
      containers: list,
    };
  });
  const runtimeVersion = await version().then((v) => v.runtimeVersion).catch(() => '');
  return {
    node: agent.nodeName,
    runtime: runtimeName,
    runtimeVersion,
    podCidr: reg.podCIDR,
    registered: reg.registered,
    ready: reg.ready,
    runtimeConditions: (reg.runtimeStatus?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
    pods,
    runningContainers: containers.filter((c) => c.state === 'running').length,
  };
}
