/**
 * The encryption providers of an EncryptionConfiguration, as Kubernetes defines them: each
 * writes values with the prefix `k8s:enc:<provider>:v1:<key name>:` and reads back the values
 * carrying its prefix. `aesgcm` (AES-256/192/128-GCM: a random 12-byte nonce, the 16-byte tag,
 * the store key as additional authenticated data, so a value copied to another key does not
 * decrypt), `aescbc` (AES-CBC with PKCS#7 padding and a random IV; Kubernetes keeps it for
 * old configurations) and `identity` (no prefix, plain text).
 */
import * as crypto from 'node:crypto';

/** One provider of a resource's list. */
export interface EncryptionProvider {
  /** `aesgcm:key1`, `identity`: how errors and the stale check name it. */
  readonly name: string;
  /** The prefix its values start with ('' for identity). */
  readonly prefix: string;
  encrypt(plain: Buffer, storeKey: string): Buffer;
  /** Throws when the value does not decrypt (tampered, another key's, another store key's). */
  decrypt(stored: Buffer, storeKey: string): Buffer;
}

const GCM_NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;
const CBC_IV_BYTES = 16;
/** AES key sizes Kubernetes accepts, bytes. */
export const AES_KEY_BYTES: readonly number[] = [16, 24, 32];

function prefixOf(provider: string, keyName: string): string {
  return `k8s:enc:${provider}:v1:${keyName}:`;
}

function aesName(mode: 'gcm' | 'cbc', key: Buffer): crypto.CipherGCMTypes | 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' {
  return `aes-${key.length * 8}-${mode}` as never;
}

/** AES-GCM with one named key. */
export function aesGcmProvider(keyName: string, key: Buffer): EncryptionProvider {
  const prefix = prefixOf('aesgcm', keyName);
  const algorithm = aesName('gcm', key) as crypto.CipherGCMTypes;
  return {
    name: `aesgcm:${keyName}`,
    prefix,
    encrypt(plain, storeKey) {
      const nonce = crypto.randomBytes(GCM_NONCE_BYTES);
      const cipher = crypto.createCipheriv(algorithm, key, nonce, { authTagLength: GCM_TAG_BYTES });
      cipher.setAAD(Buffer.from(storeKey));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([Buffer.from(prefix), nonce, body, cipher.getAuthTag()]);
    },
    decrypt(stored, storeKey) {
      const data = stored.subarray(prefix.length);
      if (data.length < GCM_NONCE_BYTES + GCM_TAG_BYTES) throw new Error('the value is shorter than an AES-GCM nonce and tag');
      const decipher = crypto.createDecipheriv(algorithm, key, data.subarray(0, GCM_NONCE_BYTES), { authTagLength: GCM_TAG_BYTES });
      decipher.setAAD(Buffer.from(storeKey));
      decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
      return Buffer.concat([decipher.update(data.subarray(GCM_NONCE_BYTES, data.length - GCM_TAG_BYTES)), decipher.final()]);
    },
  };
}

/** AES-CBC with one named key. */
export function aesCbcProvider(keyName: string, key: Buffer): EncryptionProvider {
  const prefix = prefixOf('aescbc', keyName);
  const algorithm = aesName('cbc', key);
  return {
    name: `aescbc:${keyName}`,
    prefix,
    encrypt(plain) {
      const iv = crypto.randomBytes(CBC_IV_BYTES);
      const cipher = crypto.createCipheriv(algorithm, key, iv);
      return Buffer.concat([Buffer.from(prefix), iv, cipher.update(plain), cipher.final()]);
    },
    decrypt(stored) {
      const data = stored.subarray(prefix.length);
      if (data.length < CBC_IV_BYTES) throw new Error('the value is shorter than an AES-CBC IV');
      const decipher = crypto.createDecipheriv(algorithm, key, data.subarray(0, CBC_IV_BYTES));
      return Buffer.concat([decipher.update(data.subarray(CBC_IV_BYTES)), decipher.final()]);
    },
  };
}

/** Plain text, no prefix. */
export const IDENTITY_PROVIDER: EncryptionProvider = {
  name: 'identity',
  prefix: '',
  encrypt: (plain) => plain,
  decrypt: (stored) => stored,
};
