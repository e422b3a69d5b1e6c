import * as grpc from '@grpc/grpc-js';
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
  MemberUpdateResponse,
} from '../../gen/etcd/rpc';
import { MemberRecord } from '../../gen/bosun/store';
import { ErrMemberBadURLs, StoreError } from '../errors';
import { unary } from './grpc-edge';
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
export function clusterService(member: StoreMember, headers: ResponseHeaders, log: Logger): ClusterServer {
  const members = () => member.membership.list().map(toEtcdMember);
  return {
    memberList: unary(log, 'MemberList', async (req): Promise<MemberListResponse> => {
      if (req.linearizable) await member.linearizableRead();
      return headers.fill({ header: undefined, members: members() });
    }),
    memberAdd: unary(log, 'MemberAdd', async (req: MemberAddRequest): Promise<MemberAddResponse> => {
      checkPeerUrls(req.peerURLs);
      const added = await member.addMember(req.peerURLs, req.isLearner);
      return headers.fill({ header: undefined, member: toEtcdMember(added), members: members() });
    }),
    memberRemove: unary(log, 'MemberRemove', async (req: MemberRemoveRequest): Promise<MemberRemoveResponse> => {
      await member.removeMember(req.ID);
      return headers.fill({ header: undefined, members: members() });
    }),
    memberPromote: unary(log, 'MemberPromote', async (req: MemberPromoteRequest): Promise<MemberPromoteResponse> => {
      await member.promoteMember(req.ID);
      return headers.fill({ header: undefined, members: members() });
    }),
    memberUpdate: unary(log, 'MemberUpdate', (): MemberUpdateResponse => {
      throw new StoreError(grpc.status.UNIMPLEMENTED, 'etcdserver: member update is not supported by bosun; remove and re-add the member');
    }),
  };
}
