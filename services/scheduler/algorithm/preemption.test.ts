import { expect } from 'chai';
import type { Node, Pod } from './api-types';
import { compileDisruptionBudget, splitByBudgetViolation, type DisruptionBudget } from './disruption-budgets';
import { PodInfo } from './pod-info';
import { moreImportant, numCandidates, preempt, type PreemptionOutcome } from './preemption';
import { SchedulingAlgorithm } from './scheduling-algorithm';
import { fixedRandom, makeNode, makePod, makeState, type PodOptions } from './test-fixtures';

/** Schedules `pod` (which must not fit) and preempts; victims as names. */
function preemptFor(nodes: Node[], existing: Pod[], pod: PodOptions, budgets: readonly DisruptionBudget[] = []): PreemptionOutcome & { names?: string[] } {
  const state = makeState(nodes, existing);
  const info = PodInfo.of(makePod('preemptor', pod));
  const algorithm = new SchedulingAlgorithm({ random: fixedRandom() });
  const out = algorithm.schedule(info, state);
  if (out.kind !== 'unschedulable') throw new Error(`expected the pod not to fit, got ${out.kind}`);
  const result = preempt(info, state, out.diagnosis, out.cycle, algorithm.random, budgets);
  return result.kind === 'preempt' ? { ...result, names: result.victims.map((v) => v.name) } : result;
}

const on = (node: string, name: string, priority: number, cpu: string, o: PodOptions = {}) => makePod(name, { nodeName: node, priority, cpu, ...o });

describe('scheduler preemption (DefaultPreemption)', () => {
  it('evicts only what is needed, sparing the more important pods', () => {
    const out = preemptFor([makeNode('a', { cpu: '4' })], [on('a', 'mid', 5, '1'), on('a', 'low', 1, '2'), on('a', 'lowest', 0, '1')], { cpu: '2', priority: 10 });
    expect(out.kind).to.equal('preempt');
    // Given back most important first: mid (1 cpu used) fits, then low (3 used) does not, then lowest (2 used) does.
    expect(out.names).to.deep.equal(['low']);
  });

  it('never evicts pods of equal or higher priority', () => {
    const out = preemptFor([makeNode('a', { cpu: '2' })], [on('a', 'peer', 10, '2')], { cpu: '1', priority: 10 });
    expect(out).to.deep.equal({ kind: 'failed', message: 'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.', clearNomination: true });
  });

  it('reports nodes where even evicting everything below does not help', () => {
    const out = preemptFor([makeNode('a', { cpu: '2' })], [on('a', 'high', 20, '1'), on('a', 'low', 1, '1')], { cpu: '2', priority: 10 });
    expect(out).to.deep.equal({ kind: 'failed', message: 'preemption: 0/1 nodes are available: 1 Insufficient cpu.', clearNomination: true });
  });

  it('does not try nodes evictions cannot fix', () => {
    const nodes = [makeNode('tainted', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), makeNode('small', { cpu: '1' })];
    const out = preemptFor(nodes, [on('tainted', 'low', 0, '1')], { cpu: '2', priority: 10 });
    expect(out).to.deep.equal({ kind: 'failed', message: 'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.', clearNomination: true });
  });

  it('honours preemptionPolicy Never', () => {
    const out = preemptFor([makeNode('a', { cpu: '1' })], [on('a', 'low', 0, '1')], { cpu: '1', priority: 10, preemptionPolicy: 'Never' });
    expect(out).to.deep.equal({ kind: 'failed', message: 'preemption: not eligible due to preemptionPolicy=Never.', clearNomination: false });
  });

  it('waits while a victim on its nominated node is still terminating', () => {
    const out = preemptFor([makeNode('a', { cpu: '1' })], [on('a', 'victim', 0, '1', { terminating: true })], { cpu: '1', priority: 10, nominatedNodeName: 'a' });
    expect(out).to.deep.equal({ kind: 'failed', message: 'preemption: not eligible due to a terminating pod on the nominated node.', clearNomination: false });
  });

  describe('choosing the node', () => {
    const two = [makeNode('a', { cpu: '2' }), makeNode('b', { cpu: '2' })];
    it('the lowest highest-victim priority', () => {
      const out = preemptFor(two, [on('a', 'a5', 5, '2'), on('b', 'b1', 1, '1'), on('b', 'b2', 2, '1')], { cpu: '2', priority: 10 });
      expect([out.kind === 'preempt' && out.node, out.names]).to.deep.equal(['b', ['b2', 'b1']]);
    });
    it('then the lowest sum of priorities', () => {
      const out = preemptFor(two, [on('a', 'a3', 3, '1'), on('a', 'a3b', 3, '1'), on('b', 'b3', 3, '1'), on('b', 'b0', 0, '1')], { cpu: '2', priority: 10 });
      expect(out.kind === 'preempt' && out.node).to.equal('b');
    });
    it('then the lowest sum of priorities counted from -2^31, so fewer victims win', () => {
      const out = preemptFor(two, [on('a', 'a1', 1, '1'), on('a', 'a1b', 1, '1'), on('b', 'b1', 1, '2')], { cpu: '2', priority: 10 });
      expect(out.kind === 'preempt' && out.node).to.equal('b');
    });
    it('then the latest started', () => {
      const out = preemptFor(two, [on('a', 'old', 1, '2', { createdAt: 0 }), on('b', 'young', 1, '2', { createdAt: 60 })], { cpu: '2', priority: 10 });
      expect(out.kind === 'preempt' && out.node).to.equal('b');
    });
  });

  it('keeps the room of a nominated pod of higher priority while choosing victims', () => {
    const nominated = makePod('nominee', { cpu: '1', priority: 50, nominatedNodeName: 'a' });
    const out = preemptFor([makeNode('a', { cpu: '2' })], [on('a', 'low1', 0, '1'), on('a', 'low2', 1, '1'), nominated], { cpu: '1', priority: 10 });
    expect(out.names).to.have.members(['low1', 'low2']);
  });

  it('orders pods by priority, then by start time', () => {
    const pods = [makePod('b', { priority: 1, createdAt: 5 }), makePod('a', { priority: 1, createdAt: 1 }), makePod('c', { priority: 9 })].map((p) => PodInfo.of(p));
    expect(pods.sort(moreImportant).map((p) => p.name)).to.deep.equal(['c', 'a', 'b']);
  });

  it('looks for max(10%, 100) candidates', () => {
    expect([numCandidates(5), numCandidates(500), numCandidates(5000)]).to.deep.equal([5, 100, 500]);
  });

  describe('PodDisruptionBudgets', () => {
    /** A budget over app=<app> in the default namespace allowing `allowed` disruptions. */
    const budget = (app: string, allowed: number, disruptedPods: string[] = []): DisruptionBudget =>
      compileDisruptionBudget({
        metadata: { name: app, namespace: 'default' },
        spec: { selector: { matchLabels: { app } } },
        status: { disruptionsAllowed: allowed, disruptedPods: Object.fromEntries(disruptedPods.map((p) => [p, '2026-01-01T00:00:00Z'])) },
      });
    const web = (node: string, name: string, priority: number, cpu: string) => on(node, name, priority, cpu, { labels: { app: 'web' } });
    const two = [makeNode('a', { cpu: '2' }), makeNode('b', { cpu: '2' })];

    const table: { name: string; existing: Pod[]; budgets: DisruptionBudget[]; node: string; victims: string[] }[] = [
      {
        name: 'prefers the node with fewer violations over lower victim priority',
        // a's victim has the lower priority but its budget allows no disruption; b's victim is free.
        existing: [web('a', 'a-web', 1, '2'), on('b', 'b-other', 5, '2')],
        budgets: [budget('web', 0)],
        node: 'b',
        victims: ['b-other'],
      },
      {
        name: 'takes a violating node when every node violates, by the usual criteria',
        existing: [web('a', 'a-web', 1, '2'), web('b', 'b-web', 5, '2')],
        budgets: [budget('web', 0)],
        node: 'a',
        victims: ['a-web'],
      },
      {
        name: 'counts a budget with room as no violation',
        existing: [web('a', 'a-web', 1, '2'), on('b', 'b-other', 5, '2')],
        budgets: [budget('web', 1)],
        node: 'a',
        victims: ['a-web'],
      },
      {
        name: 'does not spend a budget again for a pod already in disruptedPods',
        existing: [web('a', 'a-web', 1, '2'), on('b', 'b-other', 5, '2')],
        budgets: [budget('web', 0, ['a-web'])],
        node: 'a',
        victims: ['a-web'],
      },
      {
        name: 'ignores budgets of other labels',
        existing: [web('a', 'a-web', 1, '2'), on('b', 'b-other', 5, '2')],
        budgets: [budget('db', 0)],
        node: 'a',
        victims: ['a-web'],
      },
    ];
    for (const c of table) {
      it(c.name, () => {
        const out = preemptFor(two, c.existing, { cpu: '2', priority: 10 }, c.budgets);
        expect([out.kind === 'preempt' && out.node, out.names]).to.deep.equal([c.node, c.victims]);
      });
    }

    it('reprieves violating victims first on a node', () => {
      // One 1-cpu pod must go. The budget allows no disruption of app=web, so both web pods are
      // violating candidates and are given back first; the more important plain pod is the victim
      // (without the budget, the least important web pod would be).
      const node = [makeNode('a', { cpu: '3' })];
      const existing = [web('a', 'web-1', 3, '1'), web('a', 'web-2', 2, '1'), on('a', 'plain', 4, '1')];
      expect(preemptFor(node, existing, { cpu: '1', priority: 10 }, [budget('web', 0)]).names).to.deep.equal(['plain']);
      expect(preemptFor(node, existing, { cpu: '1', priority: 10 }).names).to.deep.equal(['web-2']);
    });

    it('splits victims in order, each spending the budgets it matches', () => {
      const pods = [makePod('w1', { labels: { app: 'web' } }), makePod('w2', { labels: { app: 'web' } }), makePod('x', { labels: { app: 'x' } }), makePod('bare')].map((p) => PodInfo.of(p));
      const split = splitByBudgetViolation(pods, [budget('web', 1)]);
      expect([split.violating.map((p) => p.name), split.nonViolating.map((p) => p.name)]).to.deep.equal([['w2'], ['w1', 'x', 'bare']]);
    });

    it('a budget with an empty selector matches nothing', () => {
      const b = compileDisruptionBudget({ metadata: { name: 'all', namespace: 'default' }, spec: { selector: {} }, status: { disruptionsAllowed: 0 } });
      expect(b.selector).to.equal(undefined);
    });
  });
});
