import { expect } from 'chai';
import type { Pod } from '../../../lib/api/types/core';
import { podsToDelete } from './deletion-order';

/** A pod described by the fields the ranking reads. */
function pod(name: string, o: { node?: string; phase?: string; readySince?: string; restarts?: number; created?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', creationTimestamp: o.created ?? '2026-01-01T00:00:00Z' },
    spec: o.node ? { nodeName: o.node } : {},
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.readySince ? 'True' : 'False', lastTransitionTime: o.readySince ?? '2026-01-01T00:00:00Z' }],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0 }],
    },
  };
}

/**
 * Kubernetes' ActivePodsWithRanks order, one rule per row: `first` is deleted before `second`,
 * whichever order they are given in.
 */
describe('replica controller deletion order (ActivePods ranking)', () => {
  const READY_EARLY = '2026-01-01T00:00:10Z';
  const READY_LATE = '2026-01-01T00:05:00Z';
  const cases: { rule: string; first: Pod; second: Pod }[] = [
    { rule: 'unassigned before assigned', first: pod('unassigned', { phase: 'Pending' }), second: pod('assigned', { node: 'n1', phase: 'Pending' }) },
    { rule: 'Pending before Unknown', first: pod('pending', { node: 'n1', phase: 'Pending' }), second: pod('unknown', { node: 'n2', phase: 'Unknown' }) },
    { rule: 'Unknown before Running', first: pod('unknown', { node: 'n1', phase: 'Unknown' }), second: pod('running', { node: 'n2' }) },
    { rule: 'not ready before ready', first: pod('not-ready', { node: 'n1' }), second: pod('ready', { node: 'n2', readySince: READY_EARLY }) },
    { rule: 'ready for less time before ready for longer', first: pod('recent', { node: 'n1', readySince: READY_LATE }), second: pod('old', { node: 'n2', readySince: READY_EARLY }) },
    { rule: 'more restarts before fewer', first: pod('crashy', { node: 'n1', restarts: 5 }), second: pod('steady', { node: 'n2', restarts: 1 }) },
    { rule: 'newer before older', first: pod('newer', { node: 'n1', created: '2026-01-01T00:02:00Z' }), second: pod('older', { node: 'n2', created: '2026-01-01T00:01:00Z' }) },
    { rule: 'unassigned beats every later rule', first: pod('bare', { phase: 'Running', readySince: READY_EARLY }), second: pod('placed', { node: 'n1', phase: 'Pending' }) },
    { rule: 'not ready beats restarts and age', first: pod('fresh-not-ready', { node: 'n1', created: '2025-01-01T00:00:00Z' }), second: pod('ready-crashy', { node: 'n2', readySince: READY_EARLY, restarts: 9 }) },
  ];
  for (const c of cases) {
    it(c.rule, () => {
      expect(podsToDelete([c.first, c.second], [c.first, c.second], 1).map((p) => p.metadata.name)).to.deep.equal([c.first.metadata.name]);
      expect(podsToDelete([c.second, c.first], [c.second, c.first], 1).map((p) => p.metadata.name)).to.deep.equal([c.first.metadata.name]);
    });
  }

  it('prefers pods doubled up on one node over a lone pod (rank), all else equal', () => {
    const a = pod('a', { node: 'crowded', readySince: READY_EARLY });
    const b = pod('b', { node: 'crowded', readySince: READY_EARLY });
    const lone = pod('lone', { node: 'alone', readySince: READY_EARLY });
    const victims = podsToDelete([lone, a, b], [lone, a, b], 1).map((p) => p.metadata.name);
    expect(victims[0]).to.be.oneOf(['a', 'b']);
  });

  it('returns every pod when asked for as many or more', () => {
    const ps = [pod('x'), pod('y')];
    expect(podsToDelete(ps, ps, 5)).to.have.length(2);
  });
});
