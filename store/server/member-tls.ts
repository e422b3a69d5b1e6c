/**
 * TLS of a store member's two ports, the way etcd configures it: the client port with
 * --cert-file / --key-file / --trusted-ca-file / --client-cert-auth, the peer port with the
 * --peer-* equivalents. With client-cert-auth on (Bosun's default), a connection whose client
 * presents no certificate, or one the trusted CA did not sign, fails at the TLS handshake.
 * Peers dial each other with the peer certificate, so the peer port is mutual TLS too.
 * Like etcd, the member follows its certificate files: a renewed certificate serves, and is
 * presented by, the connections made after it was written.
 *
 * A member without TLS (plain text on both ports) is only started with an explicit --insecure.
 */
import * as grpc from '@grpc/grpc-js';
import * as tls from 'node:tls';
import { ConfigError } from '../../lib/config-error';
import { grpcChannelCredentials } from '../../lib/grpc/tls';
import { followedIdentityOfFlags, readPemFlag, type PemLabel } from '../../lib/pki/pem-file';
import type { IdentitySource } from '../../lib/pki/reloading-identity';

/** The PEM material of one port's TLS, read from the files the flags name. */
export interface TlsMaterial {
  /** Serving certificate (the peer port's also serves as its client certificate). */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The CA client certificates must be signed by (and, on the peer port, the other members' serving certificates). */
  readonly ca: Buffer;
  /** Refuse connections without a certificate signed by `ca`. */
  readonly clientCertAuth: boolean;
  /** The certificate and key files, followed: a renewed certificate serves (and dials) new connections. */
  readonly identity?: IdentitySource;
}

/** The files of one port's TLS, each with the flag that named it (for errors). */
export interface TlsFileFlags {
  readonly certFile: { flag: string; path: string | undefined };
  readonly keyFile: { flag: string; path: string | undefined };
  readonly trustedCaFile: { flag: string; path: string | undefined };
  readonly clientCertAuth: boolean;
}

/** ALPN protocol of gRPC over TLS (Go clients such as etcdctl insist on it). */
const ALPN_H2 = 'h2';

/** Reads one PEM file a TLS flag names; a ConfigError naming the flag (and the path) when it is not given or unusable. */
function readPem(flag: string, file: string | undefined, label: PemLabel): Buffer {
  if (!file) throw new ConfigError(`--${flag}: required for TLS (or run with --insecure for plain text)`);
  return readPemFlag(flag, file, label);
}

/**
 * Reads a port's certificate, key and CA, checking that they fit together (the key belongs to
 * the certificate). Throws a ConfigError naming the flag and the file.
 */
export function readTlsMaterial(files: TlsFileFlags): TlsMaterial {
  const cert = readPem(files.certFile.flag, files.certFile.path, 'CERTIFICATE');
  const key = readPem(files.keyFile.flag, files.keyFile.path, 'PRIVATE KEY');
  const ca = readPem(files.trustedCaFile.flag, files.trustedCaFile.path, 'CERTIFICATE');
  const identity = followedIdentityOfFlags({ flag: files.certFile.flag, file: files.certFile.path! }, { flag: files.keyFile.flag, file: files.keyFile.path! });
  return { cert, key, ca, clientCertAuth: files.clientCertAuth, identity };
}

/** Options of a Node TLS server for a port with `material`. */
export function tlsServerOptions(material: TlsMaterial): tls.TlsOptions {
  return {
    cert: material.cert,
    key: material.key,
    ca: material.ca,
    requestCert: material.clientCertAuth,
    rejectUnauthorized: material.clientCertAuth,
    ALPNProtocols: [ALPN_H2],
  };
}

/** Credentials for dialling another member's peer port: TLS with this member's peer certificate, or plain text. */
export function peerChannelCredentials(material: TlsMaterial | undefined): grpc.ChannelCredentials {
  if (material?.identity) return grpcChannelCredentials({ caCert: material.ca.toString('utf8'), identity: material.identity });
  return material ? grpc.credentials.createSsl(material.ca, material.key, material.cert) : grpc.credentials.createInsecure();
}
