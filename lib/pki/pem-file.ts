import * as fs from 'node:fs';
import { ConfigError } from '../config-error';

/** What a PEM file a flag names must hold. */
export type PemLabel = 'CERTIFICATE' | 'PRIVATE KEY';

/**
 * Reads the PEM file flag `--<flag>` names. Throws a ConfigError naming the flag and the path
 * when the file is missing or unreadable, or holds no PEM block of the kind `label` says.
 */
export function readPemFlag(flag: string, file: string, label: PemLabel): Buffer {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(`--${flag}: cannot read "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // "PRIVATE KEY" also matches "EC PRIVATE KEY" and "RSA PRIVATE KEY" headers.
  if (!new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(data.toString('latin1'))) {
    throw new ConfigError(`--${flag}: "${file}" holds no PEM ${label.toLowerCase()}`);
  }
  return data;
}
