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
  SnapshotRequest,
  SnapshotResponse,
  StatusResponse,
} from '../../gen/etcd/rpc';
import { ErrBadLeaderTransferee, ErrNotLeader, ErrTimeout, StoreError } from '../errors';
import { StateRole } from '../raft/types';
import { serializeCaptured } from '../mvcc/snapshot';
import { encodeBackup } from './backup-file';
import { unary } from './grpc-edge';
import { StoreMember } from './member';
import { ResponseHeaders } from './response-headers';

/** The etcd API version this store reports (what etcdctl 3.4 expects to talk to). */
export const ETCD_API_VERSION = '3.4.0';
/** How long MoveLeader waits for the transfer to finish. */
const MOVE_LEADER_TIMEOUT_MS = 5_000;
/** Bytes of the backup file per Snapshot response (etcd sends 32 KiB chunks). */
const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

/**
 * Streams this member's state as a backup file (see backup-file.ts): consistent, because the
 * state machine is captured in one synchronous step at its applied index (then serialized in
 * slices, so puts keep flowing meanwhile). Honours the client's flow control and stops when
 * the client goes away.
 */
async function streamSnapshot(
  call: grpc.ServerWritableStream<SnapshotRequest, SnapshotResponse>,
  member: StoreMember,
  headers: ResponseHeaders,
  log: Logger,
): Promise<void> {
  const capture = member.sm.capture();
  const revision = capture.currentRevision;
  const file = encodeBackup(await serializeCaptured(capture));
  let cancelled = false;
  call.on('cancelled', () => {
    cancelled = true;
  });
  for (let off = 0; off < file.length && !cancelled; off += SNAPSHOT_CHUNK_BYTES) {
    const blob = file.subarray(off, off + SNAPSHOT_CHUNK_BYTES);
    const more = call.write(headers.fill({ header: undefined, remainingBytes: file.length - off - blob.length, blob }));
    if (!more && !cancelled) await drainedOrCancelled(call);
  }
  if (cancelled) {
    log.info({ revision, bytes: file.length }, 'snapshot download cancelled by the client');
    return;
  }
  call.end();
  log.info({ revision, bytes: file.length }, 'snapshot sent to a client');
}

function drainedOrCancelled(call: grpc.ServerWritableStream<SnapshotRequest, SnapshotResponse>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}

function unimplemented(what: string): never {
  throw new StoreError(grpc.status.UNIMPLEMENTED, `etcdserver: ${what} is not supported by bosun`);
}

/** etcd's Maintenance service: status, alarms (none), defragment (nothing to do), snapshot download, leader moves. */
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
      streamSnapshot(call, member, headers, log).catch((err) => {
        log.error({ err: err instanceof Error ? err.stack : String(err) }, 'snapshot download failed');
        // grpc-js sends a server stream's status when 'error' is emitted with a code.
        call.emit('error', { code: grpc.status.INTERNAL, details: `etcdserver: snapshot failed: ${err instanceof Error ? err.message : String(err)}` });
      });
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
