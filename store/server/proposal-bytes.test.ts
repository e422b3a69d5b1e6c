import { expect } from 'chai';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { InternalRequest } from '../../gen/bosun/store';
import { KVService, PutRequest, TxnRequest } from '../../gen/etcd/rpc';
import { withSaturatingRequests } from '../../lib/proto/saturating-int64';
import { decodeProposal, encodeProposal, rememberingRequestBytes } from './proposal-bytes';

const kv = rememberingRequestBytes(withSaturatingRequests(KVService), ['put', 'deleteRange', 'txn']);

/** What gRPC hands the handler for these bytes. */
function received<T>(method: 'put' | 'txn', bytes: Uint8Array): T {
  return kv[method].requestDeserialize(Buffer.from(bytes)) as T;
}

describe('proposal bytes', () => {
  it('frames a received put as it came; every member decodes what the handler saw', () => {
    const put = received<PutRequest>('put', PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from('k'), value: Buffer.from('v'), lease: 7, prevKv: true })).finish());
    const data = encodeProposal({ put }, 1_765_000_000_000_123, 42);
    const decoded = decodeProposal(data);
    expect(decoded).to.deep.equal(InternalRequest.fromPartial({ id: 1_765_000_000_000_123, proposer: 42, put }));
    // The same bytes as the generated encoder would write, but for field order.
    expect(data.length).to.equal(InternalRequest.encode({ ...InternalRequest.fromPartial({}), id: 1_765_000_000_000_123, proposer: 42, put }).finish().length);
  });

  it('frames a received txn with nested operations', () => {
    const txn = received<TxnRequest>(
      'txn',
      TxnRequest.encode(TxnRequest.fromPartial({ compare: [{ key: Buffer.from('a'), version: 0 }], success: [{ requestPut: { key: Buffer.from('a'), value: Buffer.from('1') } }] })).finish(),
    );
    expect(decodeProposal(encodeProposal({ txn }, 5, 0)).txn).to.deep.equal(txn);
  });

  it('clamps a 64-bit lease beyond 2^53 at apply exactly as the API decoded it', () => {
    const bytes = new BinaryWriter().uint32(10).bytes(Buffer.from('k')).uint32(24).int64(2n ** 62n).finish(); // key (1), lease (3)
    const put = received<PutRequest>('put', bytes);
    expect(put.lease).to.equal(Number.MAX_SAFE_INTEGER);
    expect(decodeProposal(encodeProposal({ put }, 1, 2)).put).to.deep.equal(put);
  });

  it('drops fields the request type does not know, alike on every member', () => {
    const bytes = new BinaryWriter().uint32(10).bytes(Buffer.from('k')).uint32((99 << 3) | 0).uint64(5).finish();
    const put = received<PutRequest>('put', bytes);
    expect(decodeProposal(encodeProposal({ put }, 1, 2)).put).to.deep.equal(PutRequest.fromPartial({ key: Buffer.from('k') }));
  });

  it('encodes requests made in the member (not received) through the generated encoder', () => {
    const put = PutRequest.fromPartial({ key: Buffer.from('made'), value: Buffer.from('here') });
    expect(decodeProposal(encodeProposal({ put }, 3, 4))).to.deep.equal(InternalRequest.fromPartial({ id: 3, proposer: 4, put }));
    const grant = { leaseGrant: { TTL: 10, ID: 9 } };
    expect(decodeProposal(encodeProposal(grant, 3, 4)).leaseGrant).to.deep.equal(grant.leaseGrant);
  });
});
