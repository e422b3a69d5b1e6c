import { createHash } from 'node:crypto';

/**
 * The file `etcdctl snapshot save` writes from a Bosun member (Maintenance.Snapshot streams it)
 * and `bosun store restore` reads. etcd's file is a bolt database (a whole number of 512-byte
 * sectors) with a SHA-256 of it appended, and etcdctl 3.4.2x refuses a download whose size is
 * not 32 more than a multiple of 512 ("sha256 checksum not found"). Bosun cannot produce
 * bolt, so its file is its own, shaped the same way:
 *
 *   "BOSUNBAK" | format version (u8) | MVCC snapshot length (u64 LE)
 *   | MVCC snapshot (store/mvcc/snapshot.ts) | zero padding to a multiple of 512 bytes
 *   | SHA-256 of all of the above
 *
 * The MVCC snapshot carries every key's retained revisions, the revision counters and the
 * leases, so a cluster restored from it answers reads at every uncompacted revision alike.
 */

const MAGIC = Buffer.from('BOSUNBAK', 'latin1');
/** Current backup format version. */
export const BACKUP_FORMAT_VERSION = 1;
const SHA256_BYTES = 32;
const HEADER_BYTES = MAGIC.length + 1 + 8;
/** The body before the checksum is padded to a multiple of this (etcdctl checks the file size). */
const SECTOR_BYTES = 512;
/** First bytes of a bolt database file (its magic 0xED0CDAED, little-endian, at offset 16). */
const BOLT_MAGIC_OFFSET = 16;
const BOLT_MAGIC = 0xed0cdaed;

/** A backup file that cannot be restored, with what is wrong with it. */
export class BackupFileError extends Error {
  override readonly name = 'BackupFileError';
}

/** The backup file holding `mvccSnapshot` (the bytes a member's state machine serializes to). */
export function encodeBackup(mvccSnapshot: Uint8Array): Buffer {
  const used = HEADER_BYTES + mvccSnapshot.byteLength;
  const bodyBytes = Math.ceil(used / SECTOR_BYTES) * SECTOR_BYTES;
  const file = Buffer.alloc(bodyBytes + SHA256_BYTES);
  let o = MAGIC.copy(file, 0);
  o = file.writeUInt8(BACKUP_FORMAT_VERSION, o);
  o = file.writeBigUInt64LE(BigInt(mvccSnapshot.byteLength), o);
  file.set(mvccSnapshot, o);
  createHash('sha256').update(file.subarray(0, bodyBytes)).digest().copy(file, bodyBytes);
  return file;
}

/**
 * The MVCC snapshot inside a backup file. Throws BackupFileError for anything but an intact
 * Bosun backup: a truncated file, another format (an etcd bolt snapshot is named as such), an
 * unknown version, or a SHA-256 mismatch (unless `skipHashCheck`, as etcdutl's flag).
 */
export function decodeBackup(file: Uint8Array, opts: { skipHashCheck?: boolean } = {}): Uint8Array {
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (b.length >= BOLT_MAGIC_OFFSET + 4 && b.readUInt32LE(BOLT_MAGIC_OFFSET) === BOLT_MAGIC) {
    throw new BackupFileError('this is an etcd (bolt) snapshot; Bosun restores only snapshots saved from a Bosun member');
  }
  if (b.length < HEADER_BYTES + SHA256_BYTES || !b.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new BackupFileError('not a Bosun snapshot (bad magic or too short)');
  }
  const version = b[MAGIC.length];
  if (version !== BACKUP_FORMAT_VERSION) throw new BackupFileError(`unsupported snapshot format version ${version} (this Bosun reads ${BACKUP_FORMAT_VERSION})`);
  const end = b.length - SHA256_BYTES;
  if (!opts.skipHashCheck) {
    const sum = createHash('sha256').update(b.subarray(0, end)).digest();
    if (!sum.equals(b.subarray(end))) throw new BackupFileError('SHA-256 checksum mismatch: the file is corrupt or truncated');
  }
  const length = b.readBigUInt64LE(MAGIC.length + 1);
  if (length > BigInt(end - HEADER_BYTES)) throw new BackupFileError(`truncated: it names ${length} bytes of data but holds ${end - HEADER_BYTES}`);
  return b.subarray(HEADER_BYTES, HEADER_BYTES + Number(length));
}
