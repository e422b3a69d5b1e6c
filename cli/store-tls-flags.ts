import { Option } from 'commander';
import * as path from 'node:path';
import { ConfigError } from '../lib/config-error';
import { readTlsMaterial, type TlsMaterial } from '../store/server/member-tls';

/**
 * The store's TLS flags, etcd's names: the client port's --cert-file, --key-file,
 * --trusted-ca-file and --client-cert-auth, the peer port's --peer-* equivalents, and
 * --insecure, the only way to serve plain text. Client-cert-auth is on unless set to false:
 * only clients with a certificate the trusted CA signed (the apiservers) reach the store.
 */

/** The string-valued TLS flags, each with its description. */
const TLS_FILE_FLAGS: readonly [string, string][] = [
  ['cert-file', 'PEM serving certificate of the client port (etcd\'s flag)'],
  ['key-file', 'PEM private key of --cert-file'],
  ['trusted-ca-file', 'PEM CA that signs the client certificates the client port accepts'],
  ['peer-cert-file', 'PEM certificate of the peer port, served to peers and presented when dialling them'],
  ['peer-key-file', 'PEM private key of --peer-cert-file'],
  ['peer-trusted-ca-file', 'PEM CA that signs the other members\' peer certificates'],
];

/** Options for the flags above; `env` names each flag's environment variable. */
export function storeTlsOptions(env: (flag: string) => string): Option[] {
  return [
    ...TLS_FILE_FLAGS.map(([flag, description]) => new Option(`--${flag} <file>`, description).env(env(flag))),
    new Option('--client-cert-auth [bool]', 'refuse clients without a certificate signed by --trusted-ca-file ("false": any TLS client)').default('true').env(env('client-cert-auth')),
    new Option('--peer-client-cert-auth [bool]', 'refuse peers without a certificate signed by --peer-trusted-ca-file').default('true').env(env('peer-client-cert-auth')),
    new Option('--insecure [bool]', 'serve plain text (http://) on both ports, with no TLS: for tests only').default('false').env(env('insecure')),
  ];
}

/** A [bool] flag: given bare (true), or "true" / "false". */
function boolFlag(flag: string, value: unknown): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false' || value === undefined) return false;
  throw new ConfigError(`--${flag}: "${String(value)}" must be "true" or "false"`);
}

/** The flag's file as an absolute path, or undefined. */
function fileFlag(o: Record<string, unknown>, flag: string): { flag: string; path: string | undefined } {
  const key = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const value = o[key];
  return { flag, path: typeof value === 'string' && value !== '' ? path.resolve(value) : undefined };
}

/**
 * The client and peer TLS of a member from parsed flags: both undefined with --insecure,
 * both set otherwise. Throws a ConfigError naming the flag (and the file) when a file is
 * missing, unreadable or does not fit, or when --insecure is combined with a TLS flag.
 */
export function memberTlsFromFlags(o: Record<string, unknown>): { clientTls?: TlsMaterial; peerTls?: TlsMaterial } {
  const files = Object.fromEntries(TLS_FILE_FLAGS.map(([flag]) => [flag, fileFlag(o, flag)]));
  if (boolFlag('insecure', o.insecure)) {
    const given = TLS_FILE_FLAGS.find(([flag]) => files[flag]!.path !== undefined);
    if (given) throw new ConfigError(`--insecure: cannot be combined with --${given[0]} (plain text has no certificates)`);
    return {};
  }
  return {
    clientTls: readTlsMaterial({
      certFile: files['cert-file']!,
      keyFile: files['key-file']!,
      trustedCaFile: files['trusted-ca-file']!,
      clientCertAuth: boolFlag('client-cert-auth', o.clientCertAuth),
    }),
    peerTls: readTlsMaterial({
      certFile: files['peer-cert-file']!,
      keyFile: files['peer-key-file']!,
      trustedCaFile: files['peer-trusted-ca-file']!,
      clientCertAuth: boolFlag('peer-client-cert-auth', o.peerClientCertAuth),
    }),
  };
}
