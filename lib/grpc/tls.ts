/**
 * TLS for Bosun's gRPC servers and clients: one place that turns PEM material into grpc-js
 * credentials, so every component serves and dials the same way.
 *
 * A server always presents its serving certificate. With `clientCa` it also asks callers for a
 * client certificate and verifies it against that CA: when `requireClientCert` is set, a caller
 * without a valid one fails the handshake (a component only one caller should reach); otherwise
 * the handshake completes and the verified certificate, if any, is what `call.getAuthContext()`
 * reports (grpc-js 1.14 reports a peer certificate only for an authorized connection), so the
 * caller can still authenticate with a bearer token — as kube-apiserver requests but does not
 * require client certificates.
 */
import * as grpc from '@grpc/grpc-js';
import type { CertificateProvider, IdentityCertificateUpdateListener } from '@grpc/grpc-js/build/src/certificate-provider';
import type { IdentityPem, IdentitySource } from '../pki/reloading-identity';

/** What a TLS gRPC server needs (PEM strings). */
export interface GrpcServerTls {
  /** The serving certificate (chain), PEM. */
  readonly cert: string;
  /** Its private key, PEM. */
  readonly key: string;
  /** CA whose client certificates are accepted (asked for, verified), PEM; none: no client certificates asked for. */
  readonly clientCa?: string;
  /** Refuse, at the handshake, a caller without a client certificate signed by `clientCa`. */
  readonly requireClientCert?: boolean;
  /** Where a renewed serving certificate comes from; when given, it replaces `cert` / `key` for new connections. */
  readonly identity?: IdentitySource;
}

/** What a TLS gRPC client needs (PEM strings). */
export interface GrpcClientTls {
  /** The CA the server's certificate must be signed by. */
  readonly caCert: string;
  /** A client certificate and key, when the client authenticates with one. */
  readonly cert?: string;
  readonly key?: string;
  /** Where a renewed client certificate comes from; when given, it is presented instead of `cert` / `key` on new connections. */
  readonly identity?: IdentitySource;
}

/**
 * A certificate provider that always offers the same material (grpc-js' own providers read
 * files). Listeners hear it on the next microtask: grpc-js registers the server as a watcher of
 * the credentials only after adding its listeners, so an answer given at once would be lost.
 */
function fixedProvider(update: { ca?: Buffer; cert?: Buffer; key?: Buffer }): CertificateProvider {
  return {
    addCaCertificateListener: (listener) => queueMicrotask(() => listener(update.ca ? { caCertificate: update.ca } : null)),
    removeCaCertificateListener: () => undefined,
    addIdentityCertificateListener: (listener) => queueMicrotask(() => listener(update.cert && update.key ? { certificate: update.cert, privateKey: update.key } : null)),
    removeIdentityCertificateListener: () => undefined,
  };
}

/**
 * A certificate provider offering `source`'s identity, now and whenever it changes (grpc-js
 * builds each new connection's secure context from the latest one it heard).
 */
function identityProvider(source: IdentitySource): CertificateProvider {
  const stops = new Map<IdentityCertificateUpdateListener, () => void>();
  const update = (identity: IdentityPem) => ({ certificate: Buffer.from(identity.cert), privateKey: Buffer.from(identity.key) });
  return {
    addCaCertificateListener: (listener) => queueMicrotask(() => listener(null)),
    removeCaCertificateListener: () => undefined,
    addIdentityCertificateListener: (listener) => {
      queueMicrotask(() => listener(update(source.current())));
      stops.set(listener, source.subscribe((identity) => listener(update(identity))));
    },
    removeIdentityCertificateListener: (listener) => {
      stops.get(listener)?.();
      stops.delete(listener);
    },
  };
}

/** Server credentials for `tls` (plain text when undefined). Throws when a PEM is empty. */
export function grpcServerCredentials(tls: GrpcServerTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  if (tls.identity) {
    // grpc-js 1.14: first argument the identity, second the CA (see below).
    const ca = tls.clientCa ? fixedProvider({ ca: Buffer.from(tls.clientCa) }) : null;
    return grpc.experimental.createCertificateProviderServerCredentials(identityProvider(tls.identity), ca, !!tls.clientCa && !!tls.requireClientCert);
  }
  if (!tls.cert.trim() || !tls.key.trim()) throw new Error('gRPC TLS: the serving certificate and key must not be empty');
  const identity = { cert: Buffer.from(tls.cert), key: Buffer.from(tls.key) };
  if (!tls.clientCa) return grpc.ServerCredentials.createSsl(null, [{ cert_chain: identity.cert, private_key: identity.key }], false);
  if (tls.requireClientCert) return grpc.ServerCredentials.createSsl(Buffer.from(tls.clientCa), [{ cert_chain: identity.cert, private_key: identity.key }], true);
  // createSsl cannot ask for a certificate without requiring it; the provider-based credentials
  // can (requestCert on, rejectUnauthorized off). grpc-js 1.14 hands the function's first
  // argument to the identity slot and its second to the CA slot, whatever their names say.
  return grpc.experimental.createCertificateProviderServerCredentials(fixedProvider(identity), fixedProvider({ ca: Buffer.from(tls.clientCa) }), false);
}

/** Channel credentials for `tls` (plain text when undefined). */
export function grpcChannelCredentials(tls: GrpcClientTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  if (tls.identity) return grpc.experimental.createCertificateProviderChannelCredentials(fixedProvider({ ca: Buffer.from(tls.caCert) }), identityProvider(tls.identity));
  const withCert = tls.cert !== undefined && tls.key !== undefined;
  return grpc.credentials.createSsl(Buffer.from(tls.caCert), withCert ? Buffer.from(tls.key!) : null, withCert ? Buffer.from(tls.cert!) : null);
}
