import { expect } from 'chai';
import { ErrLeaseExist, ErrLeaseNotFound, ErrLeaseTTLTooLarge, ErrNotLeader } from '../errors';
import { EXPIRED_LEASE_RETRY_INTERVAL_MS, Lessor, MAX_LEASE_TTL_SECONDS } from './lessor';
import { MvccStore } from './mvcc-store';
import { delReq, keys, opPut, putReq, rangeReq, txnReq } from './test-util';

function setup(minTtlSeconds = 5) {
  const clock = { t: 1000 };
  const store = new MvccStore({ schedule: null });
  const lessor = new Lessor(store, { minTtlSeconds, now: () => clock.t });
  return { clock, store, lessor };
}

describe('Lessor', () => {
  it('grants with a minimum TTL and rejects duplicates, id 0 and huge TTLs', () => {
    const { lessor, store } = setup();
    expect(lessor.grant(1, 2)).to.equal(5);
    expect(lessor.grant(2, 60)).to.equal(60);
    expect(() => lessor.grant(1, 60)).to.throw(ErrLeaseExist);
    expect(() => lessor.grant(0, 60)).to.throw(ErrLeaseNotFound);
    expect(() => lessor.grant(3, MAX_LEASE_TTL_SECONDS + 1)).to.throw(ErrLeaseTTLTooLarge);
    expect(lessor.leases()).to.deep.equal([1, 2]);
    expect(store.currentRevision).to.equal(1); // grants are not KV writes
  });

  it('attaches on put, moves on re-put, keeps with ignore_lease, detaches on delete', () => {
    const { lessor, store } = setup();
    lessor.grant(1, 60);
    lessor.grant(2, 60);
    store.put(putReq('a', '1', { lease: 1 }));
    store.put(putReq('b', '1', { lease: 1 }));
    store.txn(txnReq([], [opPut('c', '1', { lease: 2 })]));
    expect(lessor.timeToLive(1, true).keys.map(String)).to.deep.equal(['a', 'b']);
    store.put(putReq('b', '2', { lease: 2 }));
    store.put(putReq('c', '3', { ignoreLease: true }));
    expect(store.get('c')!.lease).to.equal(2);
    expect(lessor.timeToLive(1, true).keys.map(String)).to.deep.equal(['a']);
    expect(lessor.timeToLive(2, true).keys.map(String)).to.deep.equal(['b', 'c']);
    store.put(putReq('b', '3'));
    store.deleteRange(delReq('c'));
    expect(lessor.timeToLive(2, true).keys).to.deep.equal([]);
    expect(() => store.put(putReq('x', '1', { lease: 99 }))).to.throw(ErrLeaseNotFound);
  });

  it('revoke deletes every attached key in one revision, in key order', () => {
    const { lessor, store } = setup();
    lessor.grant(7, 60);
    for (const k of ['z', 'm', 'a']) store.put(putReq(k, 'v', { lease: 7 }));
    store.put(putReq('free', 'v'));
    const before = store.currentRevision;
    expect(lessor.revoke(7)).to.equal(before + 1);
    expect(store.changesAt(before + 1).map((r) => [r.key, r.sub, r.tombstone])).to.deep.equal([
      ['a', 0, true],
      ['m', 1, true],
      ['z', 2, true],
    ]);
    expect(keys(store.range(rangeReq('\0', '\0')).kvs)).to.deep.equal(['free']);
    expect(() => lessor.revoke(7)).to.throw(ErrLeaseNotFound);
    lessor.grant(8, 60);
    lessor.revoke(8); // no keys: no revision
    expect(store.currentRevision).to.equal(before + 1);
  });

  it('expires only on the primary, driven by the injected clock', () => {
    const { lessor, clock } = setup();
    lessor.grant(1, 10);
    lessor.grant(2, 20);
    clock.t += 60_000;
    expect(lessor.expiredLeases()).to.deep.equal([]); // not primary: nothing expires
    lessor.promote();
    clock.t += 9_999;
    expect(lessor.expiredLeases()).to.deep.equal([]);
    clock.t += 1;
    expect(lessor.expiredLeases()).to.deep.equal([1]);
    expect(lessor.expiredLeases()).to.deep.equal([]); // reported once per retry interval
    clock.t += EXPIRED_LEASE_RETRY_INTERVAL_MS;
    expect(lessor.expiredLeases()).to.deep.equal([1]);
    clock.t += 20_000;
    expect(lessor.expiredLeases(1)).to.deep.equal([1]);
    expect(lessor.expiredLeases()).to.deep.equal([2]);
    lessor.demote();
    clock.t += 100_000;
    expect(lessor.expiredLeases()).to.deep.equal([]);
  });

  it('renew resets the deadline on the primary only; promote resets every deadline', () => {
    const { lessor, clock } = setup();
    lessor.grant(1, 10);
    expect(() => lessor.renew(1)).to.throw(ErrNotLeader);
    lessor.promote();
    clock.t += 8_000;
    expect(lessor.timeToLive(1).ttl).to.equal(2);
    expect(lessor.renew(1)).to.equal(10);
    expect(lessor.timeToLive(1)).to.deep.equal({ id: 1, ttl: 10, grantedTtl: 10, keys: [] });
    clock.t += 10_000;
    expect(() => lessor.renew(1)).to.throw(ErrLeaseNotFound); // expired, revoke on its way
    expect(() => lessor.renew(42)).to.throw(ErrLeaseNotFound);
    lessor.demote();
    lessor.promote();
    clock.t += 9_000;
    expect(lessor.expiredLeases()).to.deep.equal([]);
    lessor.grant(2, 5); // granted while primary: deadline set at once
    clock.t += 5_000;
    expect(lessor.expiredLeases()).to.deep.equal([1, 2]);
  });
});
