import { expect } from 'chai';
import { selectorFromSet } from '../../../../lib/api/label-selector';
import type { Node, Pod } from '../api-types';
import type { ScorePlugin } from '../framework';
import { PodInfo } from '../pod-info';
import { makeNode, makePod, makeState, type PodOptions } from '../test-fixtures';
import { interPodAffinityScore } from './inter-pod-affinity-score';
import { preferNoScheduleTaints, preferredNodeAffinity } from './node-preference-scores';
import { podTopologySpreadScore } from './pod-topology-spread-score';
import { balancedAllocation, leastAllocated } from './resource-scores';

/** Normalized scores of every node by `plugin` for `pod` (all nodes feasible); undefined when skipped. */
function scores(plugin: ScorePlugin, nodes: Node[], pod: PodOptions, existing: Pod[] = [], spreadSelector?: Record<string, string>): Record<string, number> | undefined {
  const state = makeState(nodes, existing, spreadSelector ? () => selectorFromSet(spreadSelector) : undefined);
  const scorer = plugin.preScore(PodInfo.of(makePod('incoming', pod)), state.nodes, state);
  if (!scorer) return undefined;
  const raw = state.nodes.map((n) => scorer.score(n));
  scorer.normalize?.(raw, state.nodes);
  return Object.fromEntries(state.nodes.map((n, i) => [n.name, raw[i]!]));
}

const H = 'kubernetes.io/hostname';

describe('scheduler scores', () => {
  describe('NodeResourcesFit LeastAllocated and BalancedAllocation (kube-scheduler test tables)', () => {
    // "nothing scheduled, resources requested, differently sized nodes"
    const nodes = [makeNode('node1', { cpu: '4', memory: '10000' }), makeNode('node2', { cpu: '6', memory: '10000' })];
    const pod = { cpu: '3', memory: '5000' };
    it('LeastAllocated: ((4000-3000)/4000 + (10000-5000)/10000)/2 → 37 and 50', () => {
      expect(scores(leastAllocated, nodes, pod)).to.deep.equal({ node1: 37, node2: 50 });
    });
    it('BalancedAllocation: fractions 0.75/0.5 → 87, 0.5/0.5 → 100', () => {
      expect(scores(balancedAllocation, nodes, pod)).to.deep.equal({ node1: 87, node2: 100 });
    });
    it('LeastAllocated counts pods without requests as 100m / 200Mi', () => {
      const big = [makeNode('n', { cpu: '1', memory: `${400 * 1024 * 1024}` })];
      // cpu (1000-100)/1000 → 90, memory (400Mi-200Mi)/400Mi → 50
      expect(scores(leastAllocated, big, {})).to.deep.equal({ n: 70 });
    });
    it('BalancedAllocation skips pods that request nothing', () => {
      expect(scores(balancedAllocation, nodes, {})).to.equal(undefined);
    });
    it('an over-committed resource scores 0', () => {
      expect(scores(leastAllocated, [makeNode('n', { cpu: '1', memory: '10000' })], { cpu: '2', memory: '5000' })).to.deep.equal({ n: 25 });
    });
  });

  describe('NodeAffinity preferred terms', () => {
    const nodes = [makeNode('n1', { labels: { foo: 'bar' } }), makeNode('n2', { labels: { foo: 'bar', key: 'value' } }), makeNode('n3')];
    const pod: PodOptions = {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 2, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] } },
            { weight: 4, preference: { matchExpressions: [{ key: 'key', operator: 'In', values: ['value'] }] } },
          ],
        },
      },
    };
    it('sums matching weights, best node 100', () => expect(scores(preferredNodeAffinity, nodes, pod)).to.deep.equal({ n1: 33, n2: 100, n3: 0 }));
    it('is skipped without preferred terms', () => expect(scores(preferredNodeAffinity, nodes, {})).to.equal(undefined));
  });

  describe('TaintToleration PreferNoSchedule', () => {
    const prefer = (key: string) => ({ key, value: 'x', effect: 'PreferNoSchedule' });
    const nodes = [makeNode('n1'), makeNode('n2', { taints: [prefer('a')] }), makeNode('n3', { taints: [prefer('a'), prefer('b')] })];
    it('the more intolerable taints a node has, the lower its score', () => {
      expect(scores(preferNoScheduleTaints, nodes, {})).to.deep.equal({ n1: 100, n2: 50, n3: 0 });
    });
    it('tolerations with effect PreferNoSchedule or none count', () => {
      const pod = { tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }, { key: 'b', operator: 'Exists' }] };
      expect(scores(preferNoScheduleTaints, nodes, pod)).to.deep.equal({ n1: 100, n2: 100, n3: 100 });
    });
    it('NoSchedule-only tolerations do not', () => {
      const pod = { tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }] };
      expect(scores(preferNoScheduleTaints, nodes, pod)).to.deep.equal({ n1: 100, n2: 50, n3: 0 });
    });
  });

  describe('InterPodAffinity preferred terms', () => {
    const nodes = [makeNode('n1', { labels: { zone: 'a' } }), makeNode('n2', { labels: { zone: 'a' } }), makeNode('n3', { labels: { zone: 'b' } })];
    const web = makePod('web', { nodeName: 'n1', labels: { app: 'web' } });
    const weighted = (weight: number) => [{ weight, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'zone' } }];
    it('preferred affinity favours the zone of matching pods', () => {
      expect(scores(interPodAffinityScore, nodes, { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: weighted(5) } } }, [web])).to.deep.equal({ n1: 100, n2: 100, n3: 0 });
    });
    it('preferred anti-affinity disfavours it', () => {
      expect(scores(interPodAffinityScore, nodes, { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: weighted(5) } } }, [web])).to.deep.equal({ n1: 0, n2: 0, n3: 100 });
    });
    it("an existing pod's required affinity to the incoming pod attracts it (symmetry)", () => {
      const db = makePod('db', { nodeName: 'n3', affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'zone' }] } } });
      expect(scores(interPodAffinityScore, nodes, { labels: { app: 'cache' } }, [db])).to.deep.equal({ n1: 0, n2: 0, n3: 100 });
    });
    it('is skipped when nothing has affinity', () => expect(scores(interPodAffinityScore, nodes, {}, [web])).to.equal(undefined));
  });

  describe('PodTopologySpread ScheduleAnyway and default spreading', () => {
    const nodes = ['a1', 'a2', 'b1', 'b2'].map((n) => makeNode(n, { labels: { [H]: n, zone: n[0]! } }));
    const existing = [makePod('w1', { nodeName: 'a1', labels: { app: 'web' } }), makePod('w2', { nodeName: 'a1', labels: { app: 'web' } }), makePod('w3', { nodeName: 'a2', labels: { app: 'web' } })];
    it('by hostname: raw count × ln(4+2), reversed and scaled', () => {
      // raw: a1 round(2·ln6)=4, a2 round(ln6)=2, b 0 → 100·(4+0-s)/4
      const pod: PodOptions = { labels: { app: 'web' }, spread: [{ maxSkew: 1, topologyKey: H, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } }] };
      expect(scores(podTopologySpreadScore, nodes, pod, existing)).to.deep.equal({ a1: 0, a2: 50, b1: 100, b2: 100 });
    });
    it('nodes without the topology key score 0 under the pod\'s own constraints', () => {
      const pod: PodOptions = { labels: { app: 'web' }, spread: [{ maxSkew: 1, topologyKey: 'rack', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } }] };
      const withRack = [...nodes.slice(0, 3), makeNode('b2', { labels: { [H]: 'b2', zone: 'b', rack: 'r1' } })];
      expect(scores(podTopologySpreadScore, withRack, pod, existing)).to.deep.equal({ a1: 0, a2: 0, b1: 0, b2: 100 });
    });
    it('default spreading: pods of the same Service/ReplicaSet spread over hosts and zones', () => {
      const s = scores(podTopologySpreadScore, nodes, { labels: { app: 'web' } }, existing, { app: 'web' })!;
      expect(s.b1).to.equal(100);
      expect(s.b2).to.equal(100);
      expect(s.a1).to.be.lessThan(s.a2);
      expect(s.a2).to.be.lessThan(s.b1);
    });
    it('no default spreading for a pod nothing selects', () => {
      expect(scores(podTopologySpreadScore, nodes, { labels: { app: 'web' } }, existing)).to.equal(undefined);
    });
  });
});
