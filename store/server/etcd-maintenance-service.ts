import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  AlarmResponse,
  DefragmentResponse,
  HashKVRequest,
  HashKVResponse,
  MaintenanceServer,
  MoveLeaderRequest,
  MoveLeaderResponse,
  StatusResponse,
} from '../../gen/etcd/rpc';
import { ErrBadLeaderTransferee, ErrNotLeader, ErrTimeout, StoreError } from '../errors';
import { StateRole } from '../raft/types';
import { unary } from './grpc-edge';
import { StoreMember } from './member';
import { ResponseHeaders } from './response-headers';

/** The etcd API version this store reports (what etcdctl 3.4 expects to talk to). */
export const ETCD_API_VERSION = '3.4.0';
/** How long MoveLeader waits for the transfer to finish. */
const MOVE_LEADER_TIMEOUT_MS = 5_000;

function unimplemented(what: string): never {
  throw new StoreError(grpc.status.UNIMPLEMENTED, `etcdserver: ${what} is not supported by bosun`);
}

/** etcd's Maintenance service: status, alarms (none), defragment (nothing to do), leader moves. */
export function maintenanceService(member: StoreMember, headers: ResponseHeaders, log: Logger): MaintenanceServer {
  return {
    status: unary(log, 'Status', (): StatusResponse => {
      const st = member.status();
      const size = member.diskUsageBytes();
      return headers.fill({
        header: undefined,
        version: ETCD_API_VERSION,
        dbSize: size,
        leader: st.leader,
        raftIndex: st.commit,
        raftTerm: st.term,
        raftAppliedIndex: st.applied,
        errors: [],
        dbSizeInUse: size,
        isLearner: st.isLearner,
      });
    }),
    alarm: unary(log, 'Alarm', (): AlarmResponse => headers.fill({ header: undefined, alarms: [] })),
    defragment: unary(log, 'Defragment', (): DefragmentResponse => headers.fill({ header: undefined })),
    hash: unary(log, 'Hash', () => unimplemented('Hash')),
    hashKv: unary(log, 'HashKV', async (req: HashKVRequest): Promise<HashKVResponse> => {
      const h = member.sm.hashKV(req.revision);
      return headers.fill({ header: undefined, hash: h.hash, compactRevision: h.compactRevision });
    }),
    snapshot: (call) => {
      // grpc-js sends a server stream's status when 'error' is emitted with a code.
      call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'etcdserver: snapshot download is not supported by bosun yet' });
    },
    moveLeader: unary(log, 'MoveLeader', async (req: MoveLeaderRequest): Promise<MoveLeaderResponse> => {
      if (!member.isLeader()) throw new ErrNotLeader();
      const target = member.membership.get(req.targetID);
      if (!target || target.isLearner) throw new ErrBadLeaderTransferee();
      member.transferLeadership(req.targetID);
      const deadline = Date.now() + MOVE_LEADER_TIMEOUT_MS;
      while (Date.now() < deadline) {
        if (member.leaderId() === req.targetID && member.status().role !== StateRole.Leader) {
          return headers.fill({ header: undefined });
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new ErrTimeout();
    }),
  };
}
