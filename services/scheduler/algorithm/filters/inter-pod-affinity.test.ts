import { expect } from 'chai';
import type { Pod, PodAffinityTerm } from '../api-types';
import type { FilterPlugin } from '../framework';
import { PodInfo } from '../pod-info';
import { filterVerdicts, makeNode, makePod, makeState, type PodOptions } from '../test-fixtures';
import { interPodAffinity, REASON_AFFINITY_RULES, REASON_ANTI_AFFINITY_RULES, REASON_EXISTING_ANTI_AFFINITY } from './inter-pod-affinity';

const NODES = [
  makeNode('n1', { labels: { zone: 'a', 'kubernetes.io/hostname': 'n1' } }),
  makeNode('n2', { labels: { zone: 'a', 'kubernetes.io/hostname': 'n2' } }),
  makeNode('n3', { labels: { zone: 'b', 'kubernetes.io/hostname': 'n3' } }),
  makeNode('bare'),
];

function verdicts(plugin: FilterPlugin, pod: PodOptions, existing: Pod[], namespaces: Record<string, Record<string, string>> = {}): Record<string, string> {
  return filterVerdicts(plugin, NODES, pod, existing, namespaces);
}

const term = (labels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: labels }, topologyKey, ...extra });
const affinity = (...t: PodAffinityTerm[]): PodOptions => ({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: t } } });
const antiAffinity = (...t: PodAffinityTerm[]): PodOptions => ({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: t } } });
const web = makePod('web', { nodeName: 'n1', labels: { app: 'web' } });

describe('scheduler filter InterPodAffinity', () => {
  it('affinity by zone: nodes in the zone of a matching pod', () => {
    expect(verdicts(interPodAffinity, affinity(term({ app: 'web' }, 'zone')), [web])).to.deep.equal({ n1: 'fits', n2: 'fits', n3: REASON_AFFINITY_RULES, bare: REASON_AFFINITY_RULES });
  });

  it('affinity by hostname: only the node of the matching pod', () => {
    const v = verdicts(interPodAffinity, affinity(term({ app: 'web' }, 'kubernetes.io/hostname')), [web]);
    expect(v).to.deep.equal({ n1: 'fits', n2: REASON_AFFINITY_RULES, n3: REASON_AFFINITY_RULES, bare: REASON_AFFINITY_RULES });
  });

  it('all affinity terms must be matched by the same pods', () => {
    const db = makePod('db', { nodeName: 'n3', labels: { app: 'db' } });
    const v = verdicts(interPodAffinity, affinity(term({ app: 'web' }, 'zone'), term({ app: 'db' }, 'zone')), [web, db]);
    expect(v.n1).to.equal(REASON_AFFINITY_RULES);
    expect(v.n3).to.equal(REASON_AFFINITY_RULES);
  });

  it('anti-affinity by zone: only other zones', () => {
    const v = verdicts(interPodAffinity, antiAffinity(term({ app: 'web' }, 'zone')), [web]);
    expect(v).to.deep.equal({ n1: REASON_ANTI_AFFINITY_RULES, n2: REASON_ANTI_AFFINITY_RULES, n3: 'fits', bare: 'fits' });
  });

  it("an existing pod's anti-affinity keeps matching pods out of its domain", () => {
    const guard = makePod('guard', { nodeName: 'n1', ...antiAffinity(term({ app: 'db' }, 'kubernetes.io/hostname')) });
    const v = verdicts(interPodAffinity, { labels: { app: 'db' } }, [guard]);
    expect(v).to.deep.equal({ n1: REASON_EXISTING_ANTI_AFFINITY, n2: 'fits', n3: 'fits', bare: 'fits' });
    expect(verdicts(interPodAffinity, { labels: { app: 'web' } }, [guard]).n1).to.equal('fits');
  });

  it('the first pod of a self-affine group goes to any node with the topology label', () => {
    const v = verdicts(interPodAffinity, { labels: { app: 'cache' }, ...affinity(term({ app: 'cache' }, 'zone')) }, [web]);
    expect(v).to.deep.equal({ n1: 'fits', n2: 'fits', n3: 'fits', bare: REASON_AFFINITY_RULES });
  });

  it('affinity to pods that exist nowhere (and not to itself) fits no node', () => {
    const v = verdicts(interPodAffinity, affinity(term({ app: 'ghost' }, 'zone')), [web]);
    expect(Object.values(v)).to.deep.equal([REASON_AFFINITY_RULES, REASON_AFFINITY_RULES, REASON_AFFINITY_RULES, REASON_AFFINITY_RULES]);
  });

  it("terms select the pod's own namespace unless namespaces or a namespaceSelector are given", () => {
    const other = makePod('web', { nodeName: 'n3', namespace: 'shop', labels: { app: 'web' } });
    expect(verdicts(interPodAffinity, affinity(term({ app: 'web' }, 'zone')), [other]).n3).to.equal(REASON_AFFINITY_RULES);
    expect(verdicts(interPodAffinity, affinity(term({ app: 'web' }, 'zone', { namespaces: ['shop'] })), [other]).n3).to.equal('fits');
    const bySelector = affinity(term({ app: 'web' }, 'zone', { namespaceSelector: { matchLabels: { team: 'shop' } } }));
    expect(verdicts(interPodAffinity, bySelector, [other], { shop: { team: 'shop' } }).n3).to.equal('fits');
    expect(verdicts(interPodAffinity, bySelector, [other], { shop: { team: 'other' } }).n3).to.equal(REASON_AFFINITY_RULES);
    const everyNamespace = affinity(term({ app: 'web' }, 'zone', { namespaceSelector: {} }));
    expect(verdicts(interPodAffinity, everyNamespace, [other]).n3).to.equal('fits');
  });

  it('terminating pods still count for (anti-)affinity', () => {
    const dying = makePod('web', { nodeName: 'n1', labels: { app: 'web' }, terminating: true });
    expect(verdicts(interPodAffinity, antiAffinity(term({ app: 'web' }, 'zone')), [dying]).n1).to.equal(REASON_ANTI_AFFINITY_RULES);
  });

  it('has nothing to check for a pod without terms in a cluster without anti-affinity', () => {
    expect(interPodAffinity.preFilter(PodInfo.of(makePod('p')), makeState(NODES, [web]))).to.equal(undefined);
  });

  it('keeps its counts right when preemption removes and adds pods', () => {
    const state = makeState(NODES, [web]);
    const f = interPodAffinity.preFilter(PodInfo.of(makePod('p', antiAffinity(term({ app: 'web' }, 'zone')))), state)!;
    const n1 = state.node('n1')!;
    expect(f.filter(n1)).to.not.equal(undefined);
    const copy = f.clone();
    copy.removePod!(n1.pods[0]!, n1);
    expect(copy.filter(n1)).to.equal(undefined);
    expect(f.filter(n1)).to.not.equal(undefined);
    copy.addPod!(n1.pods[0]!, n1);
    expect(copy.filter(state.node('n2')!)?.reasons).to.deep.equal([REASON_ANTI_AFFINITY_RULES]);
  });

  describe('matchLabelKeys and mismatchLabelKeys (the pod\'s own label values merged into the term)', () => {
    const v1 = makePod('web-v1', { nodeName: 'n1', labels: { app: 'web', rev: '1' } });
    const v2 = makePod('web-v2', { nodeName: 'n3', labels: { app: 'web', rev: '2' } });
    const rev2 = { app: 'web', rev: '2' };
    const table: { name: string; pod: PodOptions; existing: Pod[]; want: Record<string, string> }[] = [
      {
        name: 'matchLabelKeys: affinity only to pods of the same revision',
        pod: { labels: rev2, ...affinity(term({ app: 'web' }, 'zone', { matchLabelKeys: ['rev'] })) },
        existing: [v1, v2],
        want: { n1: REASON_AFFINITY_RULES, n2: REASON_AFFINITY_RULES, n3: 'fits', bare: REASON_AFFINITY_RULES },
      },
      {
        name: 'matchLabelKeys: a key the pod lacks is ignored',
        pod: { labels: { app: 'web' }, ...affinity(term({ app: 'web' }, 'zone', { matchLabelKeys: ['rev'] })) },
        existing: [v1, v2],
        want: { n1: 'fits', n2: 'fits', n3: 'fits', bare: REASON_AFFINITY_RULES },
      },
      {
        name: 'mismatchLabelKeys: anti-affinity only to pods of another revision',
        pod: { labels: rev2, ...antiAffinity(term({ app: 'web' }, 'kubernetes.io/hostname', { mismatchLabelKeys: ['rev'] })) },
        existing: [v1, v2],
        want: { n1: REASON_ANTI_AFFINITY_RULES, n2: 'fits', n3: 'fits', bare: 'fits' },
      },
      {
        name: "an existing pod's anti-affinity term merges the existing pod's own labels",
        pod: { labels: rev2 },
        existing: [makePod('guard', { nodeName: 'n1', labels: { app: 'web', rev: '1' }, ...antiAffinity(term({ app: 'web' }, 'kubernetes.io/hostname', { mismatchLabelKeys: ['rev'] })) })],
        want: { n1: REASON_EXISTING_ANTI_AFFINITY, n2: 'fits', n3: 'fits', bare: 'fits' },
      },
      {
        name: "an existing pod's term spares pods of its own revision",
        pod: { labels: { app: 'web', rev: '1' } },
        existing: [makePod('guard', { nodeName: 'n1', labels: { app: 'web', rev: '1' }, ...antiAffinity(term({ app: 'web' }, 'kubernetes.io/hostname', { mismatchLabelKeys: ['rev'] })) })],
        want: { n1: 'fits', n2: 'fits', n3: 'fits', bare: 'fits' },
      },
    ];
    for (const c of table) {
      it(c.name, () => {
        expect(verdicts(interPodAffinity, c.pod, c.existing)).to.deep.equal(c.want);
      });
    }
  });
});
