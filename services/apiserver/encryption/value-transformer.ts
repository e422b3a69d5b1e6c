/**
 * What the registry does with stored values of one resource under an EncryptionConfiguration:
 * writes go through the first provider; a read finds the provider whose prefix the value
 * carries (identity takes values without the `k8s:enc:` prefix, when it is listed), so after a
 * key rotation old values still read while new writes use the new key. A value written by
 * anything but the first provider is stale: an update rewrites it even when the object did not
 * change, which is how `kubectl get secrets -A -o json | kubectl replace -f -` re-encrypts.
 */
import type { EncryptionProvider } from './providers';

/** The `k8s:enc:` prefix every encrypted value starts with. */
export const ENCRYPTED_PREFIX = 'k8s:enc:';

/** Transforms the stored values of one resource. */
export interface ValueTransformer {
  toStorage(plain: string, storeKey: string): Buffer;
  /** The plain value; throws an Error saying why when no provider reads it. */
  fromStorage(stored: Buffer, storeKey: string): Buffer;
  /** Whether the value was written by another provider than the one writes use now. */
  isStale(stored: Buffer): boolean;
}

function startsWith(value: Buffer, prefix: string): boolean {
  return value.length >= prefix.length && value.subarray(0, prefix.length).toString('latin1') === prefix;
}

/** The transformer of a resource's provider list (non-empty; the first one writes). */
export function providerTransformer(providers: readonly EncryptionProvider[]): ValueTransformer {
  if (providers.length === 0) throw new Error('a resource needs at least one provider');
  const writer = providers[0]!;
  const readerOf = (stored: Buffer): EncryptionProvider | undefined => {
    if (!startsWith(stored, ENCRYPTED_PREFIX)) return providers.find((p) => p.prefix === '');
    return providers.find((p) => p.prefix !== '' && startsWith(stored, p.prefix));
  };
  return {
    toStorage: (plain, storeKey) => writer.encrypt(Buffer.from(plain, 'utf8'), storeKey),
    fromStorage(stored, storeKey) {
      const reader = readerOf(stored);
      if (!reader) {
        const shown = startsWith(stored, ENCRYPTED_PREFIX) ? stored.subarray(0, stored.indexOf(':', stored.indexOf(':v1:') + 4) + 1).toString('latin1') : 'plain text';
        throw new Error(`no configured provider reads this value (${shown}); the providers are ${providers.map((p) => p.name).join(', ')}`);
      }
      try {
        return reader.decrypt(stored, storeKey);
      } catch (err) {
        throw new Error(`${reader.name} could not decrypt it: ${(err as Error).message}`);
      }
    },
    isStale: (stored) => readerOf(stored) !== writer,
  };
}
