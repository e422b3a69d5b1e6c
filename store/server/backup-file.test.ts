import { expect } from 'chai';
import { BackupFileError, decodeBackup, encodeBackup } from './backup-file';

describe('backup file (etcdctl snapshot save / bosun store restore)', () => {
  const payload = Buffer.from('BMVC pretend mvcc snapshot bytes', 'latin1');

  it('round-trips the MVCC snapshot', () => {
    expect(Buffer.from(decodeBackup(encodeBackup(payload)))).to.deep.equal(payload);
    expect(decodeBackup(encodeBackup(new Uint8Array(0))).byteLength).to.equal(0);
  });

  it('is 32 bytes (the SHA-256) more than a multiple of 512, as etcdctl checks', () => {
    for (const n of [0, 1, 470, 471, 512, 100_000]) {
      expect(encodeBackup(new Uint8Array(n)).length % 512, `payload ${n}`).to.equal(32);
    }
  });

  it('refuses a damaged, truncated or foreign file with a reason', () => {
    const file = encodeBackup(payload);
    const damaged = Buffer.from(file);
    damaged[20] ^= 1;
    expect(() => decodeBackup(damaged)).to.throw(BackupFileError, 'SHA-256 checksum mismatch');
    expect(() => decodeBackup(damaged, { skipHashCheck: true }), '--skip-hash-check').to.not.throw();
    expect(() => decodeBackup(file.subarray(0, 30))).to.throw(BackupFileError, 'not a Bosun snapshot');
    expect(() => decodeBackup(Buffer.from('hello world, this is not a snapshot file at all....'))).to.throw(BackupFileError, 'not a Bosun snapshot');
    const bolt = Buffer.alloc(4096);
    bolt.writeUInt32LE(0xed0cdaed, 16);
    expect(() => decodeBackup(bolt)).to.throw(BackupFileError, 'etcd (bolt) snapshot');
    const future = Buffer.from(file);
    future[8] = 99;
    expect(() => decodeBackup(future, { skipHashCheck: true })).to.throw(BackupFileError, 'unsupported snapshot format version 99');
    const lying = Buffer.from(file);
    lying.writeBigUInt64LE(10n ** 9n, 9);
    expect(() => decodeBackup(lying, { skipHashCheck: true })).to.throw(BackupFileError, 'truncated');
  });
});
