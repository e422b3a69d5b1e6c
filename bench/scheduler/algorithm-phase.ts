import { ClusterState } from '../../services/scheduler/algorithm/cluster-state';
import { compileNode } from '../../services/scheduler/algorithm/node-info';
import { PodInfo } from '../../services/scheduler/algorithm/pod-info';
import { mathRandom, SchedulingAlgorithm } from '../../services/scheduler/algorithm/scheduling-algorithm';
import { makeNode, makePod } from '../../services/scheduler/algorithm/test-fixtures';
import { NODE_SHAPE, POD_SHAPE, ZONES } from './plan';

/** Figures of one in-process run. */
export interface AlgorithmFigures {
  readonly nodes: number;
  readonly pods: number;
  readonly placed: number;
  readonly seconds: number;
  readonly decisionsPerSecond: number;
  /** Nodes filtered per decision, on average (node sampling). */
  readonly nodesPerDecision: number;
}

/**
 * (a) The algorithm alone: `pods` pods placed one after another on `nodes` nodes, each decided
 * pod assumed on its node at once (as the scheduler's cache does), with the default profile and
 * adaptive node sampling. Compiling pods is outside the timed loop, as the informer does it.
 */
export function runAlgorithm(nodes: number, pods: number): AlgorithmFigures {
  const state = new ClusterState();
  for (let i = 0; i < nodes; i++) {
    state.upsertNode(compileNode(makeNode(`node-${i}`, { ...NODE_SHAPE, labels: { 'kubernetes.io/hostname': `node-${i}`, 'topology.kubernetes.io/zone': `zone-${i % ZONES}` } })));
  }
  const infos = Array.from({ length: pods }, (_, i) => PodInfo.of(makePod(`pod-${i}`, { ...POD_SHAPE, createdAt: i })));
  const algorithm = new SchedulingAlgorithm({ random: mathRandom });
  let placed = 0;
  let evaluated = 0;
  const t0 = performance.now();
  for (const pod of infos) {
    const out = algorithm.schedule(pod, state);
    if (out.kind !== 'scheduled') continue;
    state.addPod(pod.assumedOn(out.node));
    placed++;
    evaluated += out.evaluatedNodes;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { nodes, pods, placed, seconds, decisionsPerSecond: pods / seconds, nodesPerDecision: evaluated / Math.max(1, placed) };
}
