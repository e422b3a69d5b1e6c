import type { Logger } from 'pino';
import {
  ClusterServer,
  Member,
  MemberAddRequest,
  MemberAddResponse,
  MemberListResponse,
  MemberPromoteRequest,
  MemberPromoteResponse,
  MemberRemoveRequest,
  MemberRemoveResponse,
  MemberUpdateRequest,
  MemberUpdateResponse,
} from '../../gen/etcd/rpc';
import { MemberRecord } from '../../gen/bosun/store';
import { ErrMemberBadURLs, ErrNoLeader } from '../errors';
import { unary } from './grpc-edge';
import { LeaderForwarder } from './leader-forwarder';
import { ConfigError, hostPortOf } from './member-config';
import { StoreMember } from './member';
import { ResponseHeaders } from './response-headers';

/** A replicated member record in etcd's Member shape. */
export function toEtcdMember(m: MemberRecord): Member {
  return { ID: m.id, name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: m.isLearner };
}

function checkPeerUrls(urls: string[]): void {
  if (urls.length === 0) throw new ErrMemberBadURLs();
  try {
    for (const u of urls) hostPortOf('peerURLs', u);
  } catch (err) {
    if (err instanceof ConfigError) throw new ErrMemberBadURLs();
    throw err;
  }
}

/** etcd's Cluster service: membership changes go through raft one at a time. */
export function clusterService(member: StoreMember, forwarder: LeaderForwarder, headers: ResponseHeaders, log: Logger): ClusterServer {
  const members = () => member.membership.list().map(toEtcdMember);
  return {
    memberList: unary(log, 'MemberList', async (req): Promise<MemberListResponse> => {
      if (req.linearizable) await member.linearizableRead();
      return headers.fillWithoutRevision({ header: undefined, members: members() });
    }),
    memberAdd: unary(log, 'MemberAdd', async (req: MemberAddRequest): Promise<MemberAddResponse> => {
      checkPeerUrls(req.peerURLs);
      const added = await member.addMember(req.peerURLs, req.isLearner);
      return headers.fillWithoutRevision({ header: undefined, member: toEtcdMember(added), members: members() });
    }),
    memberRemove: unary(log, 'MemberRemove', async (req: MemberRemoveRequest): Promise<MemberRemoveResponse> => {
      await member.removeMember(req.ID);
      return headers.fillWithoutRevision({ header: undefined, members: members() });
    }),
    memberPromote: unary(log, 'MemberPromote', async (req: MemberPromoteRequest): Promise<MemberPromoteResponse> => {
      // Only the leader knows whether the learner caught up; followers ask it.
      if (member.isLeader()) await member.promoteMember(req.ID);
      else if (member.leaderId() === 0) throw new ErrNoLeader();
      else await forwarder.memberPromote(req);
      if (!member.isLeader()) await member.linearizableRead();
      return headers.fillWithoutRevision({ header: undefined, members: members() });
    }),
    memberUpdate: unary(log, 'MemberUpdate', async (req: MemberUpdateRequest): Promise<MemberUpdateResponse> => {
      checkPeerUrls(req.peerURLs);
      await member.updateMember(req.ID, req.peerURLs);
      return headers.fillWithoutRevision({ header: undefined, members: members() });
    }),
  };
}
