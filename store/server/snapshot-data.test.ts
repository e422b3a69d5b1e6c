import { expect } from 'chai';
import { Applier } from '../mvcc/applier';
import { Lessor } from '../mvcc/lessor';
import { MvccStore } from '../mvcc/mvcc-store';
import { putReq } from '../mvcc/test-util';
import { Membership } from './membership';
import { decodeSnapshotData, encodeSnapshotData, serializeSnapshotData, snapshotDataPrefix } from './snapshot-data';

const membership = (): Membership =>
  Membership.restore(
    [
      { id: 0x1a, name: 'a', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], isLearner: false },
      { id: 0x2b, name: 'b', peerUrls: ['http://127.0.0.2:2380'], clientUrls: [], isLearner: true },
    ],
    [0x3c],
  );

describe('snapshot data envelope', () => {
  it('a prefix followed by the MVCC state is the encoded envelope, for lengths of 1 to 4 varint bytes', () => {
    for (const bytes of [0, 1, 127, 128, 300, 16_383, 16_384, 2_097_152]) {
      const mvcc = new Uint8Array(bytes).fill(7);
      const joined = Buffer.concat([snapshotDataPrefix(membership(), bytes), mvcc]);
      const decoded = decodeSnapshotData(joined);
      expect(Buffer.compare(Buffer.from(decoded.mvcc), mvcc), `${bytes} bytes`).to.equal(0);
      expect(decoded.membership.list()).to.deep.equal(membership().list());
      // The encoder leaves an empty mvcc field out; otherwise the bytes are the same.
      if (bytes > 0) expect(Buffer.compare(joined, Buffer.from(encodeSnapshotData(membership(), mvcc))), `${bytes} bytes`).to.equal(0);
    }
  });

  it('serializes a captured state into data a follower decodes to the same membership and state', async () => {
    const store = new MvccStore();
    const lessor = new Lessor(store, { minTtlSeconds: 1, now: () => 0 });
    const applier = new Applier(store, lessor);
    for (let i = 0; i < 50; i++) store.put(putReq(`key-${i}`, `value-${i}`));
    applier.markApplied(9);
    const data = await serializeSnapshotData(membership(), applier.capture());
    expect(Buffer.compare(data, Buffer.from(encodeSnapshotData(membership(), applier.snapshot())))).to.equal(0);
    const decoded = decodeSnapshotData(data);
    expect(decoded.membership.list()).to.deep.equal(membership().list());
    expect(decoded.membership.removedIds()).to.deep.equal([0x3c]);
    expect(Buffer.compare(Buffer.from(decoded.mvcc), applier.snapshot())).to.equal(0);
  });
});
