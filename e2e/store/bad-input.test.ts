import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as pb from '../../gen/etcd/rpc';
import { KVClient, KVService, LeaseClient, RequestOp, TxnRequest } from '../../gen/etcd/rpc';
import { decodeMessage, MessageCodec } from '../../store/client/int64-codec';
import { LocalStoreCluster } from '../../lib/launcher/store-cluster';
import { startEtcdCluster } from '../../store/client/test-etcd';

/**
 * A generated service definition whose responses decode with the client's int64 codec: real
 * etcd puts random 64-bit member and cluster ids in every header, past a JS number's range.
 */
function int64Tolerant<S extends Record<string, object>>(service: S, responses: Record<string, MessageCodec<unknown>>): S {
  const out: Record<string, object> = {};
  for (const [name, def] of Object.entries(service)) {
    const codec = responses[name];
    out[name] = codec ? { ...def, responseDeserialize: (b: Buffer) => decodeMessage(codec, b) } : def;
  }
  return out as S;
}

const TolerantKV = grpc.makeGenericClientConstructor(
  int64Tolerant(pb.KVService, { range: pb.RangeResponse, put: pb.PutResponse, deleteRange: pb.DeleteRangeResponse, txn: pb.TxnResponse, compact: pb.CompactionResponse }),
  'KV',
) as unknown as typeof KVClient;
const TolerantLease = grpc.makeGenericClientConstructor(
  int64Tolerant(pb.LeaseService, { leaseRevoke: pb.LeaseRevokeResponse, leaseTimeToLive: pb.LeaseTimeToLiveResponse, leaseGrant: pb.LeaseGrantResponse }),
  'Lease',
) as unknown as typeof LeaseClient;

/** What a call answered: the gRPC code and message, or ok. */
type Outcome = { ok: true; res: unknown } | { ok: false; code: number; details: string };

function call<Req, Res>(fn: (req: Req, md: grpc.Metadata, o: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown, req: Req): Promise<Outcome> {
  return new Promise((resolve) => {
    fn(req, new grpc.Metadata(), { deadline: new Date(Date.now() + 10_000) }, (err, res) =>
      resolve(err ? { ok: false, code: err.code, details: err.details } : { ok: true, res }),
    );
  });
}

const b = (s: string) => Buffer.from(s);
const put = (key: string, value = 'v'): RequestOp => ({ requestPut: { key: b(key), value: b(value), lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false } });
const txn = (t: Partial<TxnRequest>): TxnRequest => ({ compare: [], success: [], failure: [], ...t });
const range = (key: string, revision = 0) => ({ key: b(key), rangeEnd: Buffer.alloc(0), limit: 0, revision, sortOrder: 0, sortTarget: 0, serializable: false, keysOnly: false, countOnly: false, minModRevision: 0, maxModRevision: 0, minCreateRevision: 0, maxCreateRevision: 0 });

/**
 * The same bad requests against a real etcd 3.4 cluster and a Bosun store cluster: each must be
 * answered with etcd's code and message, and the member must keep serving afterwards.
 */
for (const backend of ['etcd 3.4', 'bosun'] as const) {
  describe(`bad input is refused with etcd's errors, the member unharmed (${backend})`, function () {
    this.timeout(120_000);
    let endpoint: string;
    let stop: () => Promise<void>;
    let kv: KVClient;
    let lease: LeaseClient;

    before(async () => {
      if (backend === 'bosun') {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bad-'));
        const cluster = await LocalStoreCluster.create({ members: 3, dir, insecure: true });
        cluster.startAll();
        await cluster.waitReady();
        endpoint = cluster.endpoints[1];
        stop = async () => {
          await cluster.stop();
          fs.rmSync(dir, { recursive: true, force: true });
        };
      } else {
        const etcd = await startEtcdCluster({ members: 3 });
        endpoint = etcd.endpoints[1];
        stop = () => etcd.stop();
      }
      kv = new TolerantKV(endpoint, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
      lease = new TolerantLease(endpoint, grpc.credentials.createInsecure());
    });

    after(async () => {
      kv?.close();
      lease?.close();
      await stop?.();
    });

    afterEach(async () => {
      // The member still serves after every bad request.
      const r = await call(kv.put.bind(kv), { key: b('alive'), value: b('yes'), lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false });
      expect(r.ok, JSON.stringify(r)).to.equal(true);
    });

    const expectError = (r: Outcome, code: grpc.status, details: string) => {
      expect(r.ok, 'the request should have failed').to.equal(false);
      if (!r.ok) expect({ code: r.code, details: r.details }).to.deep.equal({ code, details });
    };

    it('empty key', async () => {
      expectError(await call(kv.put.bind(kv), { key: Buffer.alloc(0), value: b('v'), lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false }), grpc.status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
      expectError(await call(kv.range.bind(kv), range('')), grpc.status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
    });

    it('request over 1.5 MiB', async () => {
      const big = Buffer.alloc(1_700_000, 'x');
      expectError(await call(kv.put.bind(kv), { key: b('big'), value: big, lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false }), grpc.status.INVALID_ARGUMENT, 'etcdserver: request is too large');
    });

    it('request over the gRPC message limit', async () => {
      const huge = Buffer.alloc(3 * 1024 * 1024, 'x');
      const r = await call(kv.put.bind(kv), { key: b('huge'), value: huge, lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false });
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    });

    it('unknown lease ids', async () => {
      expectError(await call(lease.leaseRevoke.bind(lease), { ID: 0x1234abcd }), grpc.status.NOT_FOUND, 'etcdserver: requested lease not found');
      expectError(await call(kv.put.bind(kv), { key: b('k'), value: b('v'), lease: 0x1234abcd, prevKv: false, ignoreValue: false, ignoreLease: false }), grpc.status.NOT_FOUND, 'etcdserver: requested lease not found');
      const ttl = await call(lease.leaseTimeToLive.bind(lease), { ID: 0x1234abcd, keys: false });
      expect(ttl.ok && (ttl.res as { TTL: number }).TTL).to.equal(-1);
    });

    it('a lease id beyond 2^53 is simply an unknown lease', async () => {
      const Raw = grpc.makeGenericClientConstructor(
        { leaseRevoke: { ...pb.LeaseService.leaseRevoke, requestSerialize: (b: Buffer) => b } },
        'Lease',
      );
      const raw = new Raw(endpoint, grpc.credentials.createInsecure()) as unknown as { leaseRevoke: LeaseClient['leaseRevoke']; close(): void };
      // LeaseRevokeRequest{ID: 2^63 - 1}, hand-encoded: field 1, varint.
      const req = Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
      const r = await call(raw.leaseRevoke.bind(raw) as never, req);
      raw.close();
      expectError(r, grpc.status.NOT_FOUND, 'etcdserver: requested lease not found');
    });

    it('ignore_value on a missing key', async () => {
      expectError(await call(kv.put.bind(kv), { key: b('missing-key'), value: Buffer.alloc(0), lease: 0, prevKv: false, ignoreValue: true, ignoreLease: false }), grpc.status.INVALID_ARGUMENT, 'etcdserver: key not found');
    });

    it('compacted and future revisions', async () => {
      let rev = 0;
      for (let i = 0; i < 3; i++) {
        const r = await call(kv.put.bind(kv), { key: b('c'), value: b(String(i)), lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false });
        rev = (r as { ok: true; res: { header: { revision: number } } }).res.header.revision;
      }
      expect((await call(kv.compact.bind(kv), { revision: rev, physical: true })).ok).to.equal(true);
      expectError(await call(kv.range.bind(kv), range('c', rev - 1)), grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted');
      expectError(await call(kv.compact.bind(kv), { revision: rev - 1, physical: false }), grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted');
      expectError(await call(kv.range.bind(kv), range('c', rev + 1000)), grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
    });

    it('txn with too many operations, a duplicate key, or a compare on an empty key', async () => {
      const many = Array.from({ length: 129 }, (_, i) => put(`t${i}`));
      expectError(await call(kv.txn.bind(kv), txn({ success: many })), grpc.status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request');
      expectError(await call(kv.txn.bind(kv), txn({ success: [put('dup'), put('dup')] })), grpc.status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request');
      const badCompare = { result: 0, target: 3, key: Buffer.alloc(0), rangeEnd: Buffer.alloc(0), value: b('x') };
      expectError(await call(kv.txn.bind(kv), txn({ compare: [badCompare], success: [put('ok')] })), grpc.status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
    });

    it('garbage bytes instead of a protobuf message', async () => {
      const Raw = grpc.makeGenericClientConstructor(
        { put: { ...KVService.put, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b } },
        'KV',
      );
      const raw = new Raw(endpoint, grpc.credentials.createInsecure()) as unknown as { put: KVClient['put']; close(): void };
      const r = await call(raw.put.bind(raw) as never, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12]));
      raw.close();
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.code).to.be.oneOf([grpc.status.INTERNAL, grpc.status.INVALID_ARGUMENT]);
    });
  });
}
