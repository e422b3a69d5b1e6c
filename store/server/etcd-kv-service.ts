import type { Logger } from 'pino';
import {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KVServer,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  TxnRequest,
  TxnResponse,
} from '../../gen/etcd/rpc';
import { InternalRequest } from '../../gen/bosun/store';
import { ErrEmptyKey, ErrTooManyOps } from '../errors';
import { unary } from './grpc-edge';
import { ResponseHeaders } from './response-headers';
import { StoreMember } from './member';

/** etcd's default --max-txn-ops. */
export const MAX_TXN_OPS = 128;

/**
 * etcd's KV service. Writes go through raft (a follower's proposal is forwarded to the leader
 * by raft itself) and are answered once applied locally; reads are linearizable through
 * ReadIndex unless the client asks for a serializable (member-local) read.
 */
export function kvService(member: StoreMember, headers: ResponseHeaders, log: Logger): KVServer {
  const write = async <T>(req: Omit<InternalRequest, 'id' | 'proposer'>): Promise<T> => {
    const result = await member.propose(req);
    if (result.error) throw result.error;
    return headers.fill(result.response as T & { header?: unknown });
  };
  return {
    range: unary(log, 'Range', async (req: RangeRequest): Promise<RangeResponse> => {
      if (req.key.length === 0) throw new ErrEmptyKey();
      if (!req.serializable) await member.linearizableRead();
      return headers.fill(member.sm.range(req));
    }),
    put: unary(log, 'Put', (req: PutRequest) => {
      if (req.key.length === 0) throw new ErrEmptyKey();
      return write<PutResponse>({ put: req });
    }),
    deleteRange: unary(log, 'DeleteRange', (req: DeleteRangeRequest) => {
      if (req.key.length === 0) throw new ErrEmptyKey();
      return write<DeleteRangeResponse>({ deleteRange: req });
    }),
    txn: unary(log, 'Txn', (req: TxnRequest) => {
      checkTxn(req);
      return write<TxnResponse>({ txn: req });
    }),
    compact: unary(log, 'Compact', (req: CompactionRequest) => write<CompactionResponse>({ compaction: req })),
  };
}

/** Checks a txn before it is proposed, like etcd's API layer: op count and empty keys. */
export function checkTxn(req: TxnRequest): void {
  if (req.compare.length > MAX_TXN_OPS || req.success.length > MAX_TXN_OPS || req.failure.length > MAX_TXN_OPS) {
    throw new ErrTooManyOps();
  }
  for (const c of req.compare) if (c.key.length === 0) throw new ErrEmptyKey();
  const checkOps = (ops: RequestOp[]) => {
    for (const op of ops) {
      const key = op.requestRange?.key ?? op.requestPut?.key ?? op.requestDeleteRange?.key;
      if (key !== undefined && key.length === 0) throw new ErrEmptyKey();
      if (op.requestTxn) checkTxn(op.requestTxn);
    }
  };
  checkOps(req.success);
  checkOps(req.failure);
}
