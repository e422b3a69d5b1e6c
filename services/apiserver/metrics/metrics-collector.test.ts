import { expect } from 'chai';
import type { Node } from '../../../lib/api/types/core';
import { FIRST_WINDOW_MS, MetricsCollector } from './metrics-collector';
import { usageOf } from './metrics-rest';

function node(name: string, ready = true): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } } as Node;
}

/** A node whose counters grow at `cores` (node) and `podCores` (its one pod's container) per second of the fake time. */
function summaryAt(nowMs: number, cores: number, podCores: number, memory = 1 << 20): unknown {
  const time = new Date(nowMs).toISOString();
  return {
    node: { cpu: { time, usageCoreNanoSeconds: (nowMs / 1000) * cores * 1e9 }, memory: { time, workingSetBytes: memory } },
    pods: [{ podRef: { name: 'web', namespace: 'ns', uid: 'u1' }, containers: [{ name: 'c', cpu: { time, usageCoreNanoSeconds: (nowMs / 1000) * podCores * 1e9 }, memory: { time, workingSetBytes: 2048 } }] }],
  };
}

describe('metrics collector (rates between scrapes, as metrics-server)', () => {
  let now: number;
  let scrapes: string[];
  let failing: Set<string>;
  let collector: MetricsCollector;

  beforeEach(() => {
    now = 1_000_000;
    scrapes = [];
    failing = new Set();
    collector = new MetricsCollector({
      nodes: async () => [node('a'), node('down', false), node('b')],
      scrape: async (n) => {
        scrapes.push(n.metadata.name ?? '');
        if (failing.has(n.metadata.name ?? '')) throw new Error('connection refused');
        return summaryAt(now, 2, 0.25);
      },
      now: () => now,
      delay: async (ms) => {
        now += ms;
      },
    });
  });

  it('scrapes twice on the first request and reports CPU as a rate over the window', async () => {
    const snap = await collector.current();
    expect(scrapes).to.deep.equal(['a', 'b', 'a', 'b']); // never the NotReady node
    const a = snap.nodes.get('a')!;
    expect(a.windowMs).to.equal(FIRST_WINDOW_MS);
    expect(a.cpuNanoCores).to.be.closeTo(2e9, 1);
    expect(usageOf(a)).to.deep.equal({ cpu: '2000000000n', memory: '1024Ki' });
    const pod = snap.pods.get('ns/web')!;
    expect(pod.uid).to.equal('u1');
    expect(pod.containers.get('c')!.cpuNanoCores).to.be.closeTo(0.25e9, 1);
  });

  it('answers from its cache within the resolution, then scrapes again', async () => {
    await collector.current();
    now += 5_000;
    await collector.current();
    expect(scrapes).to.have.length(4);
    now += 15_000;
    const snap = await collector.current();
    expect(scrapes).to.have.length(6);
    expect(snap.nodes.get('a')!.windowMs).to.equal(20_000);
  });

  it('drops a node that fails its scrape until it answers twice again', async () => {
    await collector.current();
    failing.add('b');
    now += 15_000;
    let snap = await collector.current();
    expect([...snap.nodes.keys()]).to.deep.equal(['a']);
    failing.clear();
    now += 15_000;
    snap = await collector.current();
    expect(snap.nodes.has('b')).to.equal(false);
    now += 15_000;
    snap = await collector.current();
    expect(snap.nodes.has('b')).to.equal(true);
  });
});
