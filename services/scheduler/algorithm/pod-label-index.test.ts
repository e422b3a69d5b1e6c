import { expect } from 'chai';
import { parseLabelSelector } from '../../../lib/api/label-selector';
import { PodInfo } from './pod-info';
import { countMatchingPods } from './spread-domains';
import { makeNode, makePod, makeState } from './test-fixtures';

describe('scheduler per-node pod label index (spreading counts)', () => {
  const pods = [
    makePod('web-1', { nodeName: 'n1', labels: { app: 'web', rev: '1' } }),
    makePod('web-2', { nodeName: 'n1', labels: { app: 'web', rev: '2' } }),
    makePod('web-3', { nodeName: 'n1', labels: { app: 'web', rev: '2' }, terminating: true }),
    makePod('db-1', { nodeName: 'n1', labels: { app: 'db' } }),
    makePod('web-other-ns', { nodeName: 'n1', namespace: 'other', labels: { app: 'web' } }),
    makePod('bare', { nodeName: 'n1' }),
  ];
  const table: { selector: string; namespace?: string; want: number; indexed: boolean }[] = [
    { selector: 'app=web', want: 2, indexed: true },
    { selector: 'app=web,rev=2', want: 1, indexed: true },
    { selector: 'app in (web)', want: 2, indexed: true },
    { selector: 'app in (web,db)', want: 3, indexed: false },
    { selector: 'app!=web', want: 2, indexed: false },
    { selector: 'app=web', namespace: 'other', want: 1, indexed: true },
    { selector: 'app=cache', want: 0, indexed: true },
    { selector: '', want: 0, indexed: false },
  ];
  for (const c of table) {
    it(`counts ${c.selector || '(empty)'} in ${c.namespace ?? 'default'} like a scan does`, () => {
      const node = makeState([makeNode('n1')], pods).node('n1')!;
      const selector = parseLabelSelector(c.selector);
      const ns = c.namespace ?? 'default';
      expect(countMatchingPods(node, selector, ns)).to.equal(c.want);
      const scan = node.pods.filter((p) => !p.terminating && p.namespace === ns && !selector.empty() && selector.matches(p.labels)).length;
      expect(scan).to.equal(c.want);
      expect(node.podsByLabel.candidates(ns, selector) !== undefined).to.equal(c.indexed);
    });
  }

  it('follows pods removed and kept apart in clones', () => {
    const node = makeState([makeNode('n1')], pods).node('n1')!;
    const copy = node.clone();
    copy.removePod(PodInfo.of(pods[0]!).key);
    expect(countMatchingPods(copy, parseLabelSelector('app=web'), 'default')).to.equal(1);
    expect(countMatchingPods(node, parseLabelSelector('app=web'), 'default')).to.equal(2);
    copy.addPod(PodInfo.of(makePod('web-9', { nodeName: 'n1', labels: { app: 'web' } })));
    expect(countMatchingPods(copy, parseLabelSelector('app=web'), 'default')).to.equal(2);
  });
});
