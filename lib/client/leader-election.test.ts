import { expect } from 'chai';
import { ConflictError, ServiceUnavailableError } from '../api/errors';
import { FakeClock } from './fake-clock';
import {
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_RENEW_DEADLINE_MS,
  DEFAULT_RETRY_PERIOD_MS,
  formatMicroTime,
  Lease,
  LeaderElector,
  LeaseClient,
  parseMicroTime,
} from './leader-election';

const NS = 'kube-system';
const NAME = 'bosun-controller-manager';

/** An in-memory Lease store with compare-and-swap updates that can be made unreachable. */
class FakeLeaseClient implements LeaseClient {
  lease?: Lease;
  private rv = 0;
  reachable = true;
  writes = 0;

  private check(): void {
    if (!this.reachable) throw new ServiceUnavailableError('store unreachable');
  }

  async get(namespace: string, name: string): Promise<Lease | undefined> {
    this.check();
    return this.lease && this.lease.metadata.namespace === namespace && this.lease.metadata.name === name ? clone(this.lease) : undefined;
  }

  async create(lease: Lease): Promise<Lease> {
    this.check();
    if (this.lease) throw new ConflictError('leases', 'coordination.k8s.io', NAME, 'already exists');
    this.writes++;
    this.lease = { ...clone(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
    return clone(this.lease);
  }

  async update(lease: Lease): Promise<Lease> {
    this.check();
    if (!this.lease || lease.metadata.resourceVersion !== this.lease.metadata.resourceVersion) {
      throw new ConflictError('leases', 'coordination.k8s.io', NAME);
    }
    this.writes++;
    this.lease = { ...clone(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
    return clone(this.lease);
  }

  get holder(): string | undefined {
    return this.lease?.spec?.holderIdentity;
  }
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

interface Candidate {
  elector: LeaderElector;
  events: string[];
}

function candidate(client: LeaseClient, clock: FakeClock, identity: string): Candidate {
  const events: string[] = [];
  const elector = new LeaderElector({
    client,
    clock,
    namespace: NS,
    name: NAME,
    identity,
    callbacks: {
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: () => events.push('stopped'),
      onNewLeader: (id) => events.push(`leader ${id}`),
    },
  });
  return { elector, events };
}

describe('LeaderElector', () => {
  let clock: FakeClock;
  let client: FakeLeaseClient;
  const running: LeaderElector[] = [];

  beforeEach(() => {
    clock = new FakeClock();
    client = new FakeLeaseClient();
  });

  afterEach(async () => {
    for (const e of running.splice(0)) await e.stop();
  });

  function start(identity: string): Candidate {
    const c = candidate(client, clock, identity);
    running.push(c.elector);
    c.elector.start();
    return c;
  }

  it('uses Kubernetes defaults: 15 s lease, 10 s renew deadline, 2 s retry', () => {
    expect([DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS]).to.deep.equal([15_000, 10_000, 2_000]);
    expect(() => new LeaderElector({ client, namespace: NS, name: NAME, identity: 'a', renewDeadlineMs: 20_000 })).to.throw(/must exceed/);
  });

  it('acquires an absent lease by creating it', async () => {
    const a = start('a');
    await clock.advance(0);
    expect(a.elector.isLeader()).to.equal(true);
    expect(a.events).to.deep.equal(['leader a', 'started']);
    expect(client.lease?.spec).to.deep.equal({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: formatMicroTime(clock.now()),
      renewTime: formatMicroTime(clock.now()),
      leaseTransitions: 0,
    });
    expect(a.elector.getLeader()).to.equal('a');
  });

  it('renews every retry period and stays leader', async () => {
    const a = start('a');
    await clock.advance(0);
    const acquired = client.lease?.spec?.acquireTime;
    await clock.advance(DEFAULT_RETRY_PERIOD_MS);
    expect(client.lease?.spec?.renewTime).to.equal(formatMicroTime(clock.now()));
    await clock.advance(60_000);
    expect(a.elector.isLeader()).to.equal(true);
    expect(client.lease?.spec?.acquireTime).to.equal(acquired);
    expect(client.lease?.spec?.leaseTransitions).to.equal(0);
    expect(client.writes).to.equal(1 + 1 + 30);
    expect(a.events).to.deep.equal(['leader a', 'started']);
  });

  it('of two contenders exactly one leads, at every moment', async () => {
    const a = start('a');
    const b = start('b');
    for (let t = 0; t < 120; t++) {
      await clock.advance(500);
      const leaders = [a, b].filter((c) => c.elector.isLeader());
      expect(leaders, `at ${t * 500} ms`).to.have.length(1);
    }
    expect(a.elector.isLeader()).to.equal(true);
    expect(b.events).to.deep.equal(['leader a']);
    expect(b.elector.getLeader()).to.equal('a');
  });

  it('steps down once renewals fail for the renew deadline, before the lease could expire', async () => {
    const a = start('a');
    await clock.advance(0);
    const lastRenew = clock.now();
    client.reachable = false;
    await clock.advance(DEFAULT_RENEW_DEADLINE_MS - 1);
    expect(a.elector.isLeader()).to.equal(true);
    await clock.advance(1);
    expect(a.elector.isLeader()).to.equal(false);
    expect(a.events).to.deep.equal(['leader a', 'started', 'stopped']);
    expect(clock.now() - lastRenew).to.be.lessThan(DEFAULT_LEASE_DURATION_MS);
  });

  it('steps down on time even when the store stops answering at all', async () => {
    let hang = false;
    const hanging: LeaseClient = {
      get: (ns, n) => (hang ? new Promise<never>(() => {}) : client.get(ns, n)),
      create: (l) => client.create(l),
      update: (l) => (hang ? new Promise<never>(() => {}) : client.update(l)),
    };
    const a = candidate(hanging, clock, 'a');
    running.push(a.elector);
    a.elector.start();
    await clock.advance(0);
    hang = true;
    await clock.advance(DEFAULT_RENEW_DEADLINE_MS);
    expect(a.elector.isLeader()).to.equal(false);
    expect(a.events).to.deep.equal(['leader a', 'started', 'stopped']);
    hang = false;
    await clock.advance(2 * DEFAULT_RENEW_DEADLINE_MS); // abandoned attempts time out; the loop goes on
    expect(a.elector.isLeader()).to.equal(true);
    expect(client.lease?.spec?.leaseTransitions).to.equal(0);
  });

  it('takes over an expired lease with leaseTransitions + 1, never overlapping the old leader', async () => {
    // a reaches the store through a link the test can cut; b always reaches it.
    let aCut = false;
    const cut = (): Promise<never> => Promise.reject(new ServiceUnavailableError('partition'));
    const aClient: LeaseClient = {
      get: (ns, n) => (aCut ? cut() : client.get(ns, n)),
      create: (l) => (aCut ? cut() : client.create(l)),
      update: (l) => (aCut ? cut() : client.update(l)),
    };
    const a = candidate(aClient, clock, 'a');
    running.push(a.elector);
    a.elector.start();
    await clock.advance(0);
    const b = start('b');
    await clock.advance(0);
    expect(b.elector.isLeader()).to.equal(false);
    aCut = true;
    const renewTime = parseMicroTime(client.lease?.spec?.renewTime ?? '');
    let takeover = -1;
    for (let t = 0; t < 40; t++) {
      await clock.advance(500);
      expect(a.elector.isLeader() && b.elector.isLeader(), `both lead at ${clock.now() - renewTime} ms`).to.equal(false);
      if (takeover < 0 && b.elector.isLeader()) takeover = clock.now() - renewTime;
    }
    expect(takeover).to.be.greaterThan(DEFAULT_LEASE_DURATION_MS);
    expect(takeover).to.be.at.most(DEFAULT_LEASE_DURATION_MS + DEFAULT_RETRY_PERIOD_MS);
    expect(client.lease?.spec?.holderIdentity).to.equal('b');
    expect(client.lease?.spec?.leaseTransitions).to.equal(1);
    expect(parseMicroTime(client.lease?.spec?.acquireTime ?? '') - renewTime).to.equal(takeover);
    expect(b.events).to.deep.equal(['leader a', 'leader b', 'started']);
    // a reconnects: it sees b's valid lease and stays a follower.
    aCut = false;
    await clock.advance(10_000);
    expect(a.elector.isLeader()).to.equal(false);
    expect(b.elector.isLeader()).to.equal(true);
    expect(a.events).to.deep.equal(['leader a', 'started', 'stopped', 'leader b']);
  });

  it('releases on stop so a successor takes over at its next try', async () => {
    const a = start('a');
    await clock.advance(0);
    const b = start('b');
    await clock.advance(0);
    await a.elector.stop();
    expect(a.events).to.deep.equal(['leader a', 'started', 'stopped']);
    expect(client.lease?.spec?.holderIdentity).to.equal('');
    expect(client.lease?.spec?.leaseDurationSeconds).to.equal(1);
    await clock.advance(DEFAULT_RETRY_PERIOD_MS);
    expect(b.elector.isLeader()).to.equal(true);
    expect(client.lease?.spec?.leaseTransitions).to.equal(1);
    expect(clock.pendingTimers()).to.be.greaterThan(0);
    await b.elector.stop();
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('a leader that finds the lease held by another steps down at its next renewal', async () => {
    const a = start('a');
    await clock.advance(0);
    const l = client.lease as Lease;
    await client.update({ ...l, spec: { ...l.spec, holderIdentity: 'intruder' } }); // e.g. an operator's edit
    await clock.advance(DEFAULT_RETRY_PERIOD_MS);
    expect(a.elector.isLeader()).to.equal(false);
    expect(a.events).to.deep.equal(['leader a', 'started', 'leader intruder', 'stopped']);
  });

  it('writes MicroTime with microseconds and reads it back', () => {
    const ms = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    expect(formatMicroTime(ms)).to.equal('2026-01-02T03:04:05.678000Z');
    expect(parseMicroTime(formatMicroTime(ms))).to.equal(ms);
  });

  it('a candidate that never led does not touch the lease on stop', async () => {
    const a = start('a');
    await clock.advance(0);
    const b = start('b');
    await clock.advance(0);
    const writes = client.writes;
    await b.elector.stop();
    expect(client.writes).to.equal(writes);
    expect(b.events).to.deep.equal(['leader a']);
    expect(a.elector.isLeader()).to.equal(true);
  });

  it('a conflicting write loses the race and does not lead', async () => {
    const a = candidate(client, clock, 'a');
    running.push(a.elector);
    const realCreate = client.create.bind(client);
    client.create = async (lease) => {
      await realCreate({ ...lease, spec: { ...lease.spec, holderIdentity: 'z', renewTime: formatMicroTime(clock.now()) } });
      return realCreate(lease); // someone else created it first
    };
    a.elector.start();
    await clock.advance(0);
    expect(a.elector.isLeader()).to.equal(false);
    expect(client.holder).to.equal('z');
  });
});
