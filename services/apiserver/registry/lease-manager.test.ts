import { expect } from 'chai';
import { LEASE_MAX_ATTACHED_OBJECTS, LeaseManager } from './lease-manager';

/** A granter that records the TTLs asked for and numbers its leases 1, 2, 3, … */
function granter(): { grants: number[]; grant(ttl: number): Promise<{ id: number }> } {
  const grants: number[] = [];
  return {
    grants,
    async grant(ttl) {
      grants.push(ttl);
      return { id: grants.length };
    },
  };
}

describe('LeaseManager', () => {
  const HOUR = 3600;

  it('shares one lease of TTL + 60 s among writes within the reuse window, then grants a new one', async () => {
    let now = 1_000_000;
    const g = granter();
    const m = new LeaseManager({ granter: g, now: () => now });
    expect(await m.leaseFor(HOUR)).to.equal(1);
    expect(g.grants).to.deep.equal([HOUR + 60]);
    now += 59_000;
    expect(await m.leaseFor(HOUR)).to.equal(1);
    now += 1_000; // the lease no longer outlives a full TTL from now
    expect(await m.leaseFor(HOUR)).to.equal(2);
    expect(g.grants).to.deep.equal([HOUR + 60, HOUR + 60]);
  });

  it('keeps the reuse window to 5 % of a short TTL (none under 20 s)', async () => {
    const g = granter();
    const m = new LeaseManager({ granter: g, now: () => 0 });
    expect(await m.leaseFor(100)).to.equal(1);
    expect(await m.leaseFor(100)).to.equal(1);
    expect(g.grants).to.deep.equal([105]);
    const short = granter();
    const s = new LeaseManager({ granter: short, now: () => 0 });
    await s.leaseFor(2);
    await s.leaseFor(2);
    expect(short.grants).to.deep.equal([2, 2]);
  });

  it('does not share a lease that would expire too late for a shorter TTL', async () => {
    const g = granter();
    const m = new LeaseManager({ granter: g, now: () => 0 });
    await m.leaseFor(HOUR);
    expect(await m.leaseFor(600)).to.equal(2);
    expect(g.grants).to.deep.equal([HOUR + 60, 600 + 30]);
  });

  it(`attaches at most ${LEASE_MAX_ATTACHED_OBJECTS} objects to one lease`, async () => {
    const g = granter();
    const m = new LeaseManager({ granter: g, now: () => 0, maxAttachedObjects: 3 });
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push(await m.leaseFor(HOUR));
    expect(ids).to.deep.equal([1, 1, 1, 2, 2, 2, 3]);
  });

  it('concurrent writes share the grant in flight', async () => {
    const grants: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const m = new LeaseManager({
      granter: {
        async grant(ttl) {
          grants.push(ttl);
          await gate;
          return { id: 7 };
        },
      },
      now: () => 0,
    });
    const all = Promise.all([m.leaseFor(HOUR), m.leaseFor(HOUR), m.leaseFor(HOUR)]);
    release();
    expect(await all).to.deep.equal([7, 7, 7]);
    expect(grants).to.have.length(1);
  });

  it('passes a failed grant to its caller and grants again for the next write', async () => {
    let fail = true;
    const m = new LeaseManager({
      granter: {
        async grant() {
          if (fail) throw new Error('store unreachable');
          return { id: 9 };
        },
      },
      now: () => 0,
    });
    await m.leaseFor(HOUR).then(
      () => expect.fail('expected the grant to fail'),
      (err: Error) => expect(err.message).to.equal('store unreachable'),
    );
    fail = false;
    expect(await m.leaseFor(HOUR)).to.equal(9);
  });
});
