/** Writing key material so that a reader (another component starting) never sees half a file. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { sleepSync } from '../sleep-sync';

/** Bytes of randomness in the temporary file's name (several writers may race on one volume). */
const TMP_SUFFIX_BYTES = 4;

/** Writes `content` to a temporary file beside `file` with `mode`, then renames it over `file`. */
export function writeFileAtomically(file: string, content: string, mode: number): void {
  const tmp = `${file}.${crypto.randomBytes(TMP_SUFFIX_BYTES).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, content, { mode });
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** How long a writer waits for another to finish the same key pair, and when a lock counts as abandoned. */
const PAIR_LOCK_WAIT_MS = 5_000;
const PAIR_LOCK_STALE_MS = 10_000;
const PAIR_LOCK_RETRY_MS = 20;

/**
 * Writes a key and its certificate, key first, each atomically, while holding `<certFile>.lock`,
 * so two processes issuing the same pair at once (two apiservers starting on one certificate
 * directory, or a start beside `bosun up`'s renewal) cannot interleave into one's key beside the
 * other's certificate. Readers between the two writes still see a mismatch for a moment; they
 * read again (reloading-identity.ts). A lock left by a killed writer is taken over after
 * PAIR_LOCK_STALE_MS.
 */
export function writeKeyPairAtomically(keyFile: string, certFile: string, pair: { readonly key: string; readonly cert: string }): void {
  const lock = `${certFile}.lock`;
  const deadline = Date.now() + PAIR_LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > PAIR_LOCK_STALE_MS || Date.now() > deadline) fs.rmSync(lock, { force: true });
      else sleepSync(PAIR_LOCK_RETRY_MS);
    }
  }
  try {
    writeFileAtomically(keyFile, pair.key, 0o600);
    writeFileAtomically(certFile, pair.cert, 0o644);
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
