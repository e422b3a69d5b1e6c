/**
 * The certificates the ingress serves: one TLS context per Secret of type kubernetes.io/tls
 * (its `tls.crt` and `tls.key`), built once per Secret resourceVersion, and the self-signed
 * default certificate served for a server name no Ingress covers (as nginx-ingress' "fake
 * certificate"). Bad Secrets are values, not exceptions: the controller reports them as Events.
 */
import * as tls from 'node:tls';
import type { Secret } from '../../lib/api/types/core';
import { makeCertificate } from '../../lib/pki/x509';

/** The Secret type an Ingress TLS entry must name. */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';
/** How long the default certificate is valid, in days. */
export const DEFAULT_CERT_VALIDITY_DAYS = 365;
/** Common name of the default certificate. */
export const DEFAULT_CERT_COMMON_NAME = 'Bosun Ingress Controller Default Certificate';

/** A PEM certificate and its PEM private key. */
export interface CertificatePair {
  readonly cert: string;
  readonly key: string;
}

/** A TLS context, or why the Secret cannot give one. */
export type SecretContext = { readonly context: tls.SecureContext } | { readonly error: string };

/** A self-signed serving certificate (EC P-256) for `commonName` with `dnsNames` as subject alternative names. */
export function selfSignedCertificate(commonName: string, dnsNames: readonly string[] = []): CertificatePair {
  return makeCertificate({ subject: { commonName }, usage: 'server', hosts: dnsNames, validityDays: DEFAULT_CERT_VALIDITY_DAYS });
}

/** The TLS context of a Secret: type kubernetes.io/tls with a certificate and key that load. */
export function secretContext(secret: Secret): SecretContext {
  const id = `${secret.metadata.namespace ?? ''}/${secret.metadata.name ?? ''}`;
  if (secret.type !== TLS_SECRET_TYPE) return { error: `secret ${id} is of type "${secret.type ?? 'Opaque'}", not ${TLS_SECRET_TYPE}` };
  const cert = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (!cert || !key) return { error: `secret ${id} lacks tls.crt or tls.key` };
  try {
    return { context: tls.createSecureContext({ cert: Buffer.from(cert, 'base64'), key: Buffer.from(key, 'base64') }) };
  } catch (err) {
    return { error: `secret ${id} does not hold a usable certificate and key: ${(err as Error).message}` };
  }
}

/** TLS contexts of Secrets, cached by namespace/name and rebuilt when the resourceVersion moves. */
export class SecretContexts {
  private readonly cache = new Map<string, { readonly version: string; readonly result: SecretContext }>();

  /** The context (or the error) of `secret`. */
  get(secret: Secret): SecretContext {
    const id = `${secret.metadata.namespace ?? ''}/${secret.metadata.name ?? ''}`;
    const version = secret.metadata.resourceVersion ?? '';
    const hit = this.cache.get(id);
    if (hit && hit.version === version && version !== '') return hit.result;
    const result = secretContext(secret);
    this.cache.set(id, { version, result });
    return result;
  }

  /** Drops the cached contexts of Secrets not in `keep` ("namespace/name"). */
  retain(keep: ReadonlySet<string>): void {
    for (const id of [...this.cache.keys()]) if (!keep.has(id)) this.cache.delete(id);
  }
}
