import { expect } from 'chai';
import { Prng } from '../../../store/raft/simulation/prng';
import { diagnosisMessage, formatFitError, NO_NODES_AVAILABLE } from './fit-error';
import { rejection } from './framework';
import { PodInfo } from './pod-info';
import { postFilterMessage, preempt } from './preemption';
import { numFeasibleNodesToFind, SchedulingAlgorithm, type ScheduleOutcome } from './scheduling-algorithm';
import { fixedRandom, makeNode, makePod, makeState } from './test-fixtures';

function schedule(algorithm: SchedulingAlgorithm, state: ReturnType<typeof makeState>, pod = makePod('p')): ScheduleOutcome {
  return algorithm.schedule(PodInfo.of(pod), state);
}

describe('scheduler algorithm', () => {
  describe('percentageOfNodesToScore (numFeasibleNodesToFind)', () => {
    const cases: [number, number, number][] = [
      // nodes, percentage (0 = adaptive), nodes to find
      [5, 0, 5],
      [99, 0, 99],
      [100, 0, 100],
      [250, 0, 120], // 50 - 2 = 48%
      [1000, 0, 420], // 50 - 8 = 42%
      [5000, 0, 500], // 50 - 40 = 10%
      [6000, 0, 300], // 50 - 48 = 2% → at least 5%
      [10000, 0, 500],
      [1000, 30, 300],
      [1000, 100, 1000],
      [150, 10, 100], // never fewer than 100
    ];
    for (const [nodes, pct, want] of cases) it(`${nodes} nodes at ${pct || 'adaptive'}% → ${want}`, () => expect(numFeasibleNodesToFind(nodes, pct)).to.equal(want));
  });

  it('places a pod on the least allocated node', () => {
    const state = makeState([makeNode('busy'), makeNode('idle')], [makePod('x', { nodeName: 'busy', cpu: '3', memory: '6Gi' })]);
    const out = schedule(new SchedulingAlgorithm({ random: fixedRandom() }), state, makePod('p', { cpu: '500m', memory: '1Gi' }));
    expect(out.kind).to.equal('scheduled');
    expect(out.kind === 'scheduled' && out.node).to.equal('idle');
  });

  it('filters from a rotating start index and stops once enough nodes are feasible', () => {
    const nodes = Array.from({ length: 300 }, (_, i) => makeNode(`n${String(i).padStart(3, '0')}`));
    const state = makeState(nodes);
    const algorithm = new SchedulingAlgorithm({ random: fixedRandom() });
    const first = schedule(algorithm, state);
    const second = schedule(algorithm, state);
    // 300 nodes: 50 - 2 = 48% → 144 nodes per pod, the second pod starting where the first stopped.
    expect(first.kind === 'scheduled' && first.evaluatedNodes).to.equal(144);
    expect(second.kind === 'scheduled' && second.evaluatedNodes).to.equal(144);
    const firstNode = Number((first as { node: string }).node.slice(1));
    const secondNode = Number((second as { node: string }).node.slice(1));
    expect(firstNode).to.be.below(144);
    expect(secondNode).to.be.within(144, 287);
  });

  it('breaks ties at random, every tied node equally likely', () => {
    const state = makeState([makeNode('a'), makeNode('b'), makeNode('c')]);
    const algorithm = new SchedulingAlgorithm({ random: new Prng(7) });
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 3000; i++) {
      const out = schedule(algorithm, state);
      if (out.kind === 'scheduled') counts[out.node]!++;
    }
    for (const n of Object.values(counts)) expect(n).to.be.within(850, 1150);
  });

  it('tries the nominated node first', () => {
    const state = makeState([makeNode('a'), makeNode('b', { cpu: '1' })]);
    const out = schedule(new SchedulingAlgorithm({ random: fixedRandom() }), state, makePod('p', { nominatedNodeName: 'b' }));
    expect(out.kind === 'scheduled' && [out.node, out.evaluatedNodes]).to.deep.equal(['b', 1]);
  });

  it('keeps the room of a higher-priority nominated pod', () => {
    const nominated = makePod('big', { cpu: '3', priority: 100, nominatedNodeName: 'a' });
    const state = makeState([makeNode('a')], [nominated]);
    const algorithm = new SchedulingAlgorithm({ random: fixedRandom() });
    expect(schedule(algorithm, state, makePod('low', { cpu: '2', priority: 10 })).kind).to.equal('unschedulable');
    expect(schedule(algorithm, state, makePod('high', { cpu: '2', priority: 100 })).kind).to.equal('unschedulable');
    expect(schedule(algorithm, state, makePod('higher', { cpu: '2', priority: 1000 })).kind).to.equal('scheduled');
    expect(schedule(algorithm, state, makePod('small', { cpu: '1', priority: 10 })).kind).to.equal('scheduled');
  });

  it('says so when there is no node at all', () => {
    expect(schedule(new SchedulingAlgorithm({ random: fixedRandom() }), makeState([])).kind).to.equal('no-nodes');
    expect(NO_NODES_AVAILABLE).to.equal('no nodes available to schedule pods');
  });

  describe("Kubernetes' unschedulable message", () => {
    it('reads like the issue: 1 Insufficient cpu, 2 node affinity, and the preemption diagnosis', () => {
      const state = makeState([makeNode('small', { cpu: '1', labels: { disk: 'ssd' } }), makeNode('b', { labels: { disk: 'hdd' } }), makeNode('c')]);
      const pod = PodInfo.of(makePod('p', { cpu: '2', nodeSelector: { disk: 'ssd' } }));
      const algorithm = new SchedulingAlgorithm({ random: fixedRandom() });
      const out = algorithm.schedule(pod, state);
      if (out.kind !== 'unschedulable') throw new Error(`expected unschedulable, got ${out.kind}`);
      const p = preempt(pod, state, out.diagnosis, out.cycle, algorithm.random);
      expect(diagnosisMessage(out.diagnosis, postFilterMessage(p))).to.equal(
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. " +
          'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
      );
    });

    it('sorts the counts as strings (10 before 2) and lists every reason of a node', () => {
      const rejections = [
        ...Array.from({ length: 10 }, () => rejection('X', 'Unschedulable', 'Insufficient cpu', 'Insufficient memory')),
        rejection('Y', 'Unschedulable', 'Too many pods'),
        rejection('Y', 'Unschedulable', 'Too many pods'),
      ];
      expect(formatFitError(12, rejections)).to.equal('0/12 nodes are available: 10 Insufficient cpu, 10 Insufficient memory, 2 Too many pods.');
    });

    it('says when the pod may not preempt', () => {
      const state = makeState([makeNode('a', { cpu: '1' })]);
      const pod = PodInfo.of(makePod('p', { cpu: '2', preemptionPolicy: 'Never', priority: 100 }));
      const algorithm = new SchedulingAlgorithm({ random: fixedRandom() });
      const out = algorithm.schedule(pod, state);
      if (out.kind !== 'unschedulable') throw new Error('expected unschedulable');
      expect(diagnosisMessage(out.diagnosis, postFilterMessage(preempt(pod, state, out.diagnosis, out.cycle, algorithm.random)))).to.equal(
        '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
      );
    });
  });
});
