import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { expect } from 'chai';
import { LeaseRevokeRequest, ResponseHeader } from '../../gen/etcd/rpc';
import { decodeMessage, encodeMessage, int64ToString, isInt64Alias } from './int64-codec';

describe('int64-codec', () => {
  it('decodes 64-bit IDs beyond 2^53 to stable aliases and encodes them back exactly', () => {
    const big = 0x8e9e05c52164694dn; // an etcd-style member ID
    const wire = Buffer.from(ResponseHeader.encode({ clusterId: 0, memberId: 0, revision: 7, raftTerm: 2 }).finish());
    expect(decodeMessage(ResponseHeader, wire).revision).to.equal(7);

    // Hand-encode a header whose member ID does not fit a JS number.
    const raw = new BinaryWriter().uint32(16).uint64(big).uint32(24).int64(9).finish();
    expect(() => ResponseHeader.decode(raw)).to.throw(/MAX_SAFE_INTEGER/);
    const header = decodeMessage(ResponseHeader, raw);
    expect(Number.isSafeInteger(header.memberId)).to.equal(true);
    expect(isInt64Alias(header.memberId)).to.equal(true);
    expect(int64ToString(header.memberId)).to.equal(big.toString());
    expect(decodeMessage(ResponseHeader, raw).memberId).to.equal(header.memberId);

    // Sending the alias back (e.g. as a lease ID) writes the original value.
    const bytes = encodeMessage(LeaseRevokeRequest, { ID: header.memberId });
    const expected = new BinaryWriter().uint32(8).int64(BigInt.asIntN(64, big)).finish();
    expect(bytes).to.deep.equal(Buffer.from(expected));
  });

  it('passes safe values, including negative TTLs, through unchanged', () => {
    const bytes = encodeMessage(LeaseRevokeRequest, { ID: -1 });
    expect(decodeMessage(LeaseRevokeRequest, bytes).ID).to.equal(-1);
    expect(isInt64Alias(-1)).to.equal(false);
  });
});
