import * as path from 'node:path';
import { ConfigError } from '../../lib/config-error';
import { followedIdentityOfFlags, readPemFlag } from '../../lib/pki/pem-file';
import type { StoreClientTls } from './endpoint';

/** The files of a store client's TLS, as flags give them (undefined: not given), with the flags' names. */
export interface ClientTlsFileFlags {
  readonly ca: { flag: string; file: string | undefined };
  readonly cert: { flag: string; file: string | undefined };
  readonly key: { flag: string; file: string | undefined };
}

/**
 * A store client's TLS from its flags (etcdctl's --cacert/--cert/--key, the apiserver's
 * --etcd-cafile/--etcd-certfile/--etcd-keyfile): undefined when none is given (plain text).
 * Throws a ConfigError naming the flag and the path when a file is unreadable, when a
 * certificate comes without its key (or the reverse), or a client certificate without a CA.
 */
export function clientTlsFromFlags(flags: ClientTlsFileFlags): StoreClientTls | undefined {
  const { ca, cert, key } = flags;
  if (!ca.file && !cert.file && !key.file) return undefined;
  if (!!cert.file !== !!key.file) {
    const [given, missing] = cert.file ? [cert, key] : [key, cert];
    throw new ConfigError(`--${missing.flag}: required with --${given.flag}`);
  }
  if (!ca.file) throw new ConfigError(`--${ca.flag}: required with --${cert.flag} (the CA that signed the store's certificates)`);
  const tls: StoreClientTls = { ca: readPemFlag(ca.flag, path.resolve(ca.file), 'CERTIFICATE') };
  if (!cert.file || !key.file) return tls;
  const certFile = path.resolve(cert.file);
  const keyFile = path.resolve(key.file);
  const material = { ...tls, cert: readPemFlag(cert.flag, certFile, 'CERTIFICATE'), key: readPemFlag(key.flag, keyFile, 'PRIVATE KEY') };
  // Followed while the client runs: a renewed certificate is presented on new connections.
  return { ...material, identity: followedIdentityOfFlags({ flag: cert.flag, file: certFile }, { flag: key.flag, file: keyFile }) };
}
