import * as fs from 'node:fs';
import { ConfigError } from '../config-error';
import { ReloadingIdentity } from './reloading-identity';

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

/** A file a flag names. */
export interface FlagFile {
  readonly flag: string;
  readonly file: string;
}

/**
 * The identity in the certificate and key files `cert` and `key` name, followed while the
 * process runs (./reloading-identity.ts). A ConfigError naming both flags and files when the key
 * does not fit the certificate (or either cannot be read).
 */
export function followedIdentityOfFlags(cert: FlagFile, key: FlagFile): ReloadingIdentity {
  try {
    return ReloadingIdentity.fromFiles(cert.file, key.file);
  } catch (err) {
    throw new ConfigError(`--${key.flag}: "${key.file}" does not fit --${cert.flag} "${cert.file}": ${(err as Error).message}`);
  }
}
