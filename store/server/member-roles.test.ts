import { expect } from 'chai';
import pino from 'pino';
import { ErrNotEnoughStartedMembers, ErrUnhealthy } from '../errors';
import { AttributePublisher, PublisherHost } from './attribute-publisher';
import { parseInitialCluster } from './member-config';
import { Membership } from './membership';
import { checkCanAdd, checkCanRemove, PeerHealth, RECONFIG_HEALTHY_MS } from './reconfig-checks';

const silent = pino({ level: 'silent' });
const NOW = 1_000_000;

/** Three voters; `started` of them published client URLs. */
function threeVoters(started: number): { membership: Membership; ids: number[] } {
  const membership = Membership.initial(parseInitialCluster('a=http://127.0.0.1:1,b=http://127.0.0.1:2,c=http://127.0.0.1:3'), 'test');
  const ids = membership.voters();
  ids.slice(0, started).forEach((id, i) => membership.setAttributes(id, `m${i}`, [`http://127.0.0.1:${10 + i}`]));
  return { membership, ids };
}

/** Peers connected since `since` (ms) each, or down (undefined). */
function peers(since: Map<number, number | undefined>): PeerHealth {
  const connectedSince = (ids: number[], t: number) => ids.filter((id) => (since.get(id) ?? Infinity) <= t).length;
  return {
    connectedSince,
    connectedFullySince: (ids: number[], t: number) => connectedSince(ids, t) === ids.length,
    isActive: (id: number) => since.get(id) !== undefined,
  };
}

describe('reconfiguration checks (etcd strict reconfig)', () => {
  it('adds a voter only with enough started voters and every voter connected for the healthy interval', () => {
    const { membership, ids } = threeVoters(3);
    const longAgo = new Map(ids.map((id) => [id, NOW - RECONFIG_HEALTHY_MS]));
    expect(() => checkCanAdd(membership, peers(longAgo), false, NOW)).not.to.throw();
    const recent = new Map(ids.map((id, i) => [id, i === 2 ? NOW - 10 : NOW - RECONFIG_HEALTHY_MS]));
    expect(() => checkCanAdd(membership, peers(recent), false, NOW)).to.throw(ErrUnhealthy);
    const twoStarted = threeVoters(2);
    const all = new Map(twoStarted.ids.map((id) => [id, NOW - RECONFIG_HEALTHY_MS]));
    expect(() => checkCanAdd(twoStarted.membership, peers(all), false, NOW)).to.throw(ErrNotEnoughStartedMembers);
    expect(() => checkCanAdd(twoStarted.membership, peers(all), true, NOW)).not.to.throw(); // a learner needs no quorum
  });

  it('removes a member that is down, but not one whose removal leaves too few active voters', () => {
    const { membership, ids } = threeVoters(3);
    const [self, up, down] = ids;
    const oneDown = new Map<number, number | undefined>([
      [self, NOW - RECONFIG_HEALTHY_MS],
      [up, NOW - RECONFIG_HEALTHY_MS],
      [down, undefined],
    ]);
    expect(() => checkCanRemove(membership, peers(oneDown), self, down, NOW)).not.to.throw();
    expect(() => checkCanRemove(membership, peers(oneDown), self, up, NOW)).to.throw(ErrNotEnoughStartedMembers);
  });
});

describe('AttributePublisher', () => {
  function host(over: Partial<PublisherHost>, proposals: unknown[]): PublisherHost {
    return {
      id: 7,
      name: 'm7',
      clientUrls: ['http://127.0.0.1:2379'],
      record: () => undefined,
      hasLeader: () => true,
      propose: async (req) => void proposals.push(req),
      ...over,
    };
  }

  it('is published at once when the membership already holds the attributes', async () => {
    const proposals: unknown[] = [];
    const p = new AttributePublisher(host({ record: () => ({ id: 7, name: 'm7', peerUrls: [], clientUrls: ['http://127.0.0.1:2379'], isLearner: false }) }, proposals), silent);
    p.start();
    await p.published;
    expect(proposals).to.deep.equal([]);
  });

  it('proposes once a leader is known, retrying until then', async () => {
    const proposals: unknown[] = [];
    let leader = false;
    const p = new AttributePublisher(host({ hasLeader: () => leader }, proposals), silent);
    p.start();
    expect(proposals).to.deep.equal([]);
    leader = true;
    await p.published;
    p.stop();
    expect(proposals).to.deep.equal([{ memberAttributes: { memberId: 7, name: 'm7', clientUrls: ['http://127.0.0.1:2379'] } }]);
  });
});
