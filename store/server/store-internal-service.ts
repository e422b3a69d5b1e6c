import type { Logger } from 'pino';
import { LeaseKeepAliveRequest, LeaseTimeToLiveRequest, MemberPromoteRequest } from '../../gen/etcd/rpc';
import { StoreInternalServer } from '../../gen/bosun/store';
import { LeaseAuthority } from './etcd-lease-service';
import { unary } from './grpc-edge';
import { StoreMember } from './member';

/**
 * The member-to-member service on the peer port: the calls only the leader can answer (lease
 * renewals and remaining TTLs, learner promotion), and the membership for joining members.
 */
export function storeInternalService(member: StoreMember, authority: LeaseAuthority, log: Logger): StoreInternalServer {
  return {
    members: unary(log, 'Members', () => ({ clusterId: member.clusterId, members: member.membership.list() })),
    memberPromote: unary(log, 'MemberPromote', async (req: MemberPromoteRequest) => {
      await member.promoteMember(req.ID);
      return { header: undefined, members: [] };
    }),
    leaseRenew: unary(log, 'LeaseRenew', (req: LeaseKeepAliveRequest) => authority.renew(req)),
    leaseTimeToLive: unary(log, 'LeaseTimeToLive', (req: LeaseTimeToLiveRequest) => authority.timeToLive(req)),
  };
}
