import { expect } from 'chai';
import { FakeClock } from '../../lib/client/fake-clock';
import { PodInfo } from './algorithm/pod-info';
import { makePod, type PodOptions } from './algorithm/test-fixtures';
import { POD_MAX_IN_UNSCHEDULABLE_MS, SchedulingQueue } from './scheduling-queue';

const pod = (name: string, o: PodOptions = {}) => PodInfo.of(makePod(name, o));
const popAll = (q: SchedulingQueue) => {
  const out: string[] = [];
  for (let p = q.pop(); p; p = q.pop()) out.push(p.info.name);
  return out;
};

describe('scheduler SchedulingQueue', () => {
  let clock: FakeClock;
  let q: SchedulingQueue;
  beforeEach(() => {
    clock = new FakeClock();
    q = new SchedulingQueue(clock);
    q.start();
  });
  afterEach(() => q.close());

  it('pops the highest priority first, then the oldest', () => {
    q.add(pod('late-low', { priority: 0, createdAt: 9 }));
    q.add(pod('early-low', { priority: 0, createdAt: 1 }));
    q.add(pod('high', { priority: 100, createdAt: 5 }));
    expect(popAll(q)).to.deep.equal(['high', 'early-low', 'late-low']);
  });

  it('backs off 1 s, doubling per attempt up to 10 s', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => SchedulingQueue.backoffMs(a))).to.deep.equal([1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('retries a failed pod after its backoff', async () => {
    q.add(pod('p'));
    q.pop();
    q.requeueBackoff('default/p');
    expect(q.lengths()).to.include({ active: 0, backoff: 1 });
    await clock.advance(999);
    expect(q.pop()).to.equal(undefined);
    await clock.advance(1);
    const again = q.pop();
    expect(again?.attempts).to.equal(2);
    q.requeueBackoff('default/p');
    await clock.advance(1999);
    expect(q.pop()).to.equal(undefined);
    await clock.advance(1);
    expect(q.pop()?.info.name).to.equal('p');
  });

  it('parks an unschedulable pod until an event that could help', async () => {
    q.add(pod('p'));
    q.pop();
    q.requeueUnschedulable('default/p', new Set(['NodeResourcesFit']));
    expect(q.lengths()).to.include({ unschedulable: 1 });
    q.onClusterEvent({ name: 'AssignedPodAdd', helps: new Set(['InterPodAffinity']) });
    expect(q.lengths()).to.include({ unschedulable: 1 });
    await clock.advance(1000);
    q.onClusterEvent({ name: 'AssignedPodDelete', helps: new Set(['NodeResourcesFit']) });
    expect(q.lengths()).to.include({ unschedulable: 0, active: 1 });
  });

  it('moves a pod whose backoff is not over to backoffQ', () => {
    q.add(pod('p'));
    q.pop();
    q.requeueUnschedulable('default/p', new Set(['NodeResourcesFit']));
    q.onClusterEvent({ name: 'NodeAdd', helps: 'all' });
    expect(q.lengths()).to.include({ unschedulable: 0, backoff: 1 });
  });

  it('does not miss an event that arrives while the pod is being scheduled', () => {
    q.add(pod('p'));
    q.pop();
    q.onClusterEvent({ name: 'NodeAdd', helps: 'all' });
    q.requeueUnschedulable('default/p', new Set(['NodeResourcesFit']));
    expect(q.lengths()).to.include({ unschedulable: 0, backoff: 1 });
  });

  it('retries parked pods after 5 minutes anyway', async () => {
    q.add(pod('p'));
    q.pop();
    q.requeueUnschedulable('default/p', new Set(['NodeAffinity']));
    await clock.advance(POD_MAX_IN_UNSCHEDULABLE_MS + 30_000);
    expect(q.pop()?.info.name).to.equal('p');
  });

  it('drops a pod deleted while in flight, and requeues the newest version of one updated', () => {
    q.add(pod('gone'));
    q.add(pod('changed', { cpu: '1' }));
    q.pop();
    q.pop();
    q.delete('default/gone');
    q.update(pod('changed', { cpu: '2' }));
    q.requeueBackoff('default/gone');
    q.requeueBackoff('default/changed');
    expect(q.lengths()).to.include({ backoff: 1, inFlight: 0 });
  });

  it('gives a parked pod another try when its spec changes, not when only its status does', () => {
    q.add(pod('p', { cpu: '8' }));
    q.pop();
    q.requeueUnschedulable('default/p', new Set(['NodeResourcesFit']));
    q.update(pod('p', { cpu: '8', nominatedNodeName: 'n1' }));
    expect(q.lengths()).to.include({ unschedulable: 1 });
    q.update(pod('p', { cpu: '1' }));
    expect(q.lengths()).to.include({ unschedulable: 0, backoff: 1 });
  });

  it('wakes a waiter when a pod arrives', async () => {
    let woke = false;
    const waiting = q.waitForPod().then(() => (woke = true));
    await clock.advance(0);
    expect(woke).to.equal(false);
    q.add(pod('p'));
    await waiting;
    expect(woke).to.equal(true);
  });
});
