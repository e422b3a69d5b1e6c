/**
 * The ServiceAccount token configuration from Kubernetes' apiserver flags:
 * `--service-account-signing-key-file` (a PEM private key, ES256 or RS256),
 * `--service-account-key-file` (PEM public keys, certificates or private keys accepted for
 * verification; repeatable; default: the signing key's public half), `--service-account-issuer`
 * and `--api-audiences` (default: the issuer). And the key `bosun up` makes once for all its
 * apiservers (each must verify the others' tokens).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { newSigningKeyPem, signingKeyFromPem, verificationKeyOf, verificationKeysFromPem, type VerificationKey } from './jwt';
import type { ServiceAccountTokenConfig } from './service-account-tokens';
import { DEFAULT_ISSUER } from './token-request';

/** The flags, as given (files are paths). */
export interface ServiceAccountTokenFlags {
  readonly signingKeyFile?: string;
  readonly keyFiles?: readonly string[];
  readonly issuer?: string;
  readonly apiAudiences?: readonly string[];
}

/** The file name of the key `bosun up` makes in its pki folder. */
export const SERVICE_ACCOUNT_KEY_FILE = 'service-account.key';

/**
 * The configuration the flags describe; an Error naming the flag for a file that cannot be read
 * or holds no usable key.
 */
export function serviceAccountTokenConfig(flags: ServiceAccountTokenFlags): ServiceAccountTokenConfig {
  const issuer = flags.issuer || DEFAULT_ISSUER;
  const apiAudiences = flags.apiAudiences && flags.apiAudiences.length > 0 ? [...flags.apiAudiences] : [issuer];
  const signingKey = flags.signingKeyFile ? readFlagFile('--service-account-signing-key-file', flags.signingKeyFile, signingKeyFromPem) : undefined;
  const verificationKeys: VerificationKey[] = [];
  for (const file of flags.keyFiles ?? []) {
    const keys = readFlagFile('--service-account-key-file', file, verificationKeysFromPem);
    if (keys.length === 0) throw new Error(`--service-account-key-file: ${file} holds no PEM key or certificate`);
    verificationKeys.push(...keys);
  }
  if (verificationKeys.length === 0 && signingKey) verificationKeys.push(verificationKeyOf(signingKey));
  return { issuer, apiAudiences, signingKey, verificationKeys };
}

function readFlagFile<T>(flag: string, file: string, parse: (pem: string) => T): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${flag}: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return parse(text);
  } catch (err) {
    throw new Error(`${flag}: ${file}: ${(err as Error).message}`);
  }
}

/** The path of the signing key at `file`, making a new P-256 key there (mode 0600) when it does not exist. */
export function ensureServiceAccountKey(file: string): string {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, newSigningKeyPem(), { mode: 0o600 });
  }
  return file;
}
