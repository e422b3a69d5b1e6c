import { expect } from 'chai';
import type { Pod, TopologySpreadConstraint } from '../api-types';
import { makeNode, makePod, filterVerdicts, type PodOptions } from '../test-fixtures';
import { podTopologySpread, REASON_SPREAD_CONSTRAINTS, REASON_SPREAD_MISSING_LABEL } from './pod-topology-spread';

const H = 'kubernetes.io/hostname';
const NODES = [
  makeNode('a1', { labels: { zone: 'a', [H]: 'a1' } }),
  makeNode('a2', { labels: { zone: 'a', [H]: 'a2' } }),
  makeNode('b1', { labels: { zone: 'b', [H]: 'b1' } }),
  makeNode('b2', { labels: { zone: 'b', [H]: 'b2' } }),
];

const SKEW = REASON_SPREAD_CONSTRAINTS;
const spread = (c: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey: 'zone',
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: { app: 'web' } },
  ...c,
});
const webPod = (name: string, nodeName: string, o: PodOptions = {}): Pod => makePod(name, { nodeName, labels: { app: 'web' }, ...o });
const incoming = (c: Partial<TopologySpreadConstraint> = {}, o: PodOptions = {}): PodOptions => ({ labels: { app: 'web' }, spread: [spread(c)], ...o });

function verdicts(pod: PodOptions, existing: Pod[], nodes = NODES): Record<string, string> {
  return filterVerdicts(podTopologySpread, nodes, pod, existing);
}

describe('scheduler filter PodTopologySpread (DoNotSchedule)', () => {
  it('refuses the zone that would exceed maxSkew', () => {
    const existing = [webPod('w1', 'a1'), webPod('w2', 'a2')];
    expect(verdicts(incoming(), existing)).to.deep.equal({ a1: SKEW, a2: SKEW, b1: 'fits', b2: 'fits' });
  });

  it('allows skew up to maxSkew', () => {
    expect(verdicts(incoming({ maxSkew: 2 }), [webPod('w1', 'a1')])).to.deep.equal({ a1: 'fits', a2: 'fits', b1: 'fits', b2: 'fits' });
    expect(verdicts(incoming({ maxSkew: 1 }), [webPod('w1', 'a1')])).to.deep.equal({ a1: SKEW, a2: SKEW, b1: 'fits', b2: 'fits' });
  });

  it('spreads by hostname', () => {
    const existing = [webPod('w1', 'a1'), webPod('w2', 'a2'), webPod('w3', 'b1')];
    expect(verdicts(incoming({ topologyKey: H }), existing)).to.deep.equal({ a1: SKEW, a2: SKEW, b1: SKEW, b2: 'fits' });
  });

  it('refuses nodes without the topology key as unresolvable', () => {
    const nodes = [...NODES, makeNode('nolabel')];
    expect(verdicts(incoming(), [], nodes).nolabel).to.equal(REASON_SPREAD_MISSING_LABEL);
  });

  it('takes the global minimum as 0 while fewer than minDomains domains exist', () => {
    const existing = [webPod('w1', 'a1'), webPod('w2', 'b1')];
    expect(verdicts(incoming(), existing)).to.deep.equal({ a1: 'fits', a2: 'fits', b1: 'fits', b2: 'fits' });
    expect(verdicts(incoming({ minDomains: 3 }), existing)).to.deep.equal({ a1: SKEW, a2: SKEW, b1: SKEW, b2: SKEW });
  });

  it('does not count the pod itself when the selector does not match it', () => {
    const existing = [webPod('w1', 'a1')];
    expect(verdicts(incoming({}, { labels: { app: 'other' } }), existing)).to.deep.equal({ a1: 'fits', a2: 'fits', b1: 'fits', b2: 'fits' });
  });

  it('counts only domains of nodes matching the pod node affinity (nodeAffinityPolicy Honor, the default)', () => {
    const existing = [webPod('w1', 'a1')];
    const onlyA = { nodeSelector: { zone: 'a' } };
    expect(verdicts(incoming({}, onlyA), existing).a2).to.equal('fits');
    expect(verdicts(incoming({ nodeAffinityPolicy: 'Ignore' }, onlyA), existing).a2).to.equal(SKEW);
  });

  it('ignores taints unless nodeTaintsPolicy is Honor', () => {
    const tainted = NODES.map((n) => (n.metadata.labels!.zone === 'b' ? makeNode(n.metadata.name!, { labels: n.metadata.labels, taints: [{ key: 'x', effect: 'NoSchedule' }] }) : n));
    const existing = [webPod('w1', 'a1')];
    expect(verdicts(incoming(), existing, tainted).a2).to.equal(SKEW);
    expect(verdicts(incoming({ nodeTaintsPolicy: 'Honor' }), existing, tainted).a2).to.equal('fits');
  });

  it('narrows the selector with matchLabelKeys', () => {
    const existing = [webPod('w1', 'a1', { labels: { app: 'web', rev: '1' } }), webPod('w2', 'a2', { labels: { app: 'web', rev: '1' } })];
    const pod = incoming({ matchLabelKeys: ['rev'] }, { labels: { app: 'web', rev: '2' } });
    expect(verdicts(pod, existing).a1).to.equal('fits');
    expect(verdicts(incoming({}, { labels: { app: 'web', rev: '2' } }), existing).a1).to.equal(SKEW);
  });

  it('counts neither terminating pods nor pods of other namespaces', () => {
    const existing = [webPod('w1', 'a1', { terminating: true }), webPod('w2', 'a2', { namespace: 'other' })];
    expect(verdicts(incoming(), existing)).to.deep.equal({ a1: 'fits', a2: 'fits', b1: 'fits', b2: 'fits' });
  });

  it('ignores ScheduleAnyway constraints', () => {
    const existing = [webPod('w1', 'a1'), webPod('w2', 'a2')];
    expect(verdicts(incoming({ whenUnsatisfiable: 'ScheduleAnyway' }), existing).a1).to.equal('fits');
  });
});
