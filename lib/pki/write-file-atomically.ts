/** Writing key material so that a reader (another component starting) never sees half a file. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

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
