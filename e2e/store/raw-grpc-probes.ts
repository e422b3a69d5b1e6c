import * as grpc from '@grpc/grpc-js';
import * as pb from '../../gen/etcd/rpc';
import { decodeMessage, encodeMessage, MessageCodec } from '../../store/client/int64-codec';

/**
 * etcd v3 answers that etcdctl cannot show (it never sends nested txns, and prints a cancelled
 * watch as one error line), asked over raw gRPC so the differential test can compare them
 * field by field. Every answer is rendered as text without the values that legitimately differ
 * between two clusters (cluster and member ids, raft term): a header shows only its revision
 * and which of those fields are set.
 */

/** Bound on each call and on waiting for the watch answers. */
const PROBE_TIMEOUT_MS = 5000;

type Codec<T> = MessageCodec<T> & { fromPartial(o: unknown): T };

function showHeader(h: pb.ResponseHeader | undefined): string {
  if (!h) return 'none';
  const set = (['clusterId', 'memberId', 'raftTerm'] as const).filter((f) => h[f] !== 0);
  return `{revision ${h.revision}${set.length > 0 ? `, ${set.join(' ')} set` : ''}}`;
}

function showResponseOp(op: pb.ResponseOp): string {
  if (op.responseTxn) return `txn(header ${showHeader(op.responseTxn.header)}, succeeded ${op.responseTxn.succeeded}, [${op.responseTxn.responses.map(showResponseOp).join(', ')}])`;
  if (op.responsePut) return `put(header ${showHeader(op.responsePut.header)})`;
  if (op.responseRange) return `range(header ${showHeader(op.responseRange.header)}, count ${op.responseRange.count})`;
  if (op.responseDeleteRange) return `delete(header ${showHeader(op.responseDeleteRange.header)}, deleted ${op.responseDeleteRange.deleted})`;
  return 'empty';
}

function showWatch(r: pb.WatchResponse): string {
  return `watch ${r.watchId}: header ${showHeader(r.header)}, created ${r.created}, canceled ${r.canceled}, compact ${r.compactRevision}, reason "${r.cancelReason}", ${r.events.length} events`;
}

function unary<Req, Res>(client: grpc.Client, path: string, req: Codec<Req>, res: Codec<Res>, body: unknown): Promise<Res> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      path,
      (m: Req) => encodeMessage(req, m),
      (b: Buffer) => decodeMessage(res, b),
      req.fromPartial(body),
      { deadline: Date.now() + PROBE_TIMEOUT_MS },
      (err, value) => (err || value === undefined ? reject(err ?? new Error(`${path}: no answer`)) : resolve(value)),
    ),
  );
}

/**
 * A txn whose success branch is a txn holding a put of `key`, a range of `key` and an empty
 * txn; returns the answer rendered (see the file header). Makes one write revision.
 */
export async function probeNestedTxn(endpoint: string, key: string): Promise<string> {
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  try {
    const k = Buffer.from(key);
    const inner = { success: [{ requestPut: { key: k, value: Buffer.from('nested') } }, { requestRange: { key: k } }, { requestTxn: {} }] };
    const resp = await unary(client, pb.KVService.txn.path, pb.TxnRequest, pb.TxnResponse, { success: [{ requestTxn: inner }] });
    return `header ${showHeader(resp.header)}, [${resp.responses.map(showResponseOp).join(', ')}]`;
  } finally {
    client.close();
  }
}

/**
 * On one watch stream: a watch of `key` from `compactedRevision` (which must be compacted
 * away), a watch with id 7, another with id 7, and one of an empty range; returns the answers
 * rendered, one per line, sorted (the compacted
 * watch's cancel comes whenever the server's catch-up runs).
 */
export async function probeWatchRefusals(endpoint: string, key: string, compactedRevision: number): Promise<string> {
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    pb.WatchService.watch.path,
    (m: pb.WatchRequest) => encodeMessage(pb.WatchRequest, m),
    (b: Buffer) => decodeMessage(pb.WatchResponse, b),
  );
  const expected = 6; // created + compacted cancel, created, duplicate, empty range: 5; plus the cancel of 7
  const lines: string[] = [];
  try {
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, PROBE_TIMEOUT_MS);
      call.on('data', (r: pb.WatchResponse) => {
        lines.push(showWatch(r));
        if (lines.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      });
      call.on('error', (err: Error) => {
        lines.push(`stream error: ${err.message}`);
        clearTimeout(timer);
        resolve();
      });
    });
    const k = Buffer.from(key);
    call.write(pb.WatchRequest.fromPartial({ createRequest: { key: k, startRevision: compactedRevision } }));
    call.write(pb.WatchRequest.fromPartial({ createRequest: { key: k, watchId: 7 } }));
    call.write(pb.WatchRequest.fromPartial({ createRequest: { key: k, watchId: 7 } }));
    call.write(pb.WatchRequest.fromPartial({ createRequest: { key: Buffer.from('z'), rangeEnd: Buffer.from('a') } }));
    call.write(pb.WatchRequest.fromPartial({ cancelRequest: { watchId: 7 } }));
    await done;
    return lines.sort().join('\n');
  } finally {
    call.cancel();
    client.close();
  }
}
