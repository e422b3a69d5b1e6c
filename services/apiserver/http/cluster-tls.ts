/**
 * The cluster's TLS material for the HTTP API: a self-signed cluster CA made at first start and
 * a serving certificate it signs, kept in one directory and reused on restart (the serving
 * certificate is made again, under the same CA, when the hosts it must name change or it is
 * due for renewal; `bosun up` also renews it while the cluster runs, see lib/pki/cert-renewal.ts).
 * Made in process by lib/pki/x509.ts (ECDSA P-256), so no openssl CLI is needed.
 *
 * Files in the directory: ca.crt, ca.key, serving.crt, serving.key, serving-hosts.json.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { certValidityDays, needsRenewal, signedBy } from '../../../lib/pki/cert-renewal';
import { ensureClusterCa } from '../../../lib/pki/cluster-ca';
import { readFittingPair } from '../../../lib/pki/reloading-identity';
import { writeKeyPairAtomically } from '../../../lib/pki/write-file-atomically';
import { makeCertificate } from '../../../lib/pki/x509';

/** File names (in the directory) of the serving certificate and its key. */
export const SERVING_CERT_FILE = 'serving.crt';
export const SERVING_KEY_FILE = 'serving.key';
/** Hosts every serving certificate names. */
export const DEFAULT_SERVING_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

/** The PEM material a TLS server and its clients need. */
export interface ClusterTls {
  /** PEM of the cluster CA certificate (what a kubeconfig carries as certificate-authority-data). */
  readonly caCert: string;
  /** PEM of the serving certificate, signed by the CA. */
  readonly cert: string;
  /** PEM of the serving key. */
  readonly key: string;
  /** The hosts (DNS names and IPs) the serving certificate names. */
  readonly hosts: readonly string[];
}

/**
 * Loads the CA and serving certificate from `dir`, making whichever is missing (or, for the
 * serving certificate, stale: missing one of the hosts, or near expiry). `extraHosts` are added to the
 * default 127.0.0.1, localhost and ::1. Throws when the directory cannot be written.
 */
export function ensureClusterTls(dir: string, extraHosts: readonly string[] = []): ClusterTls {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(dir, name);
  const hosts = [...new Set([...DEFAULT_SERVING_HOSTS, ...extraHosts.filter((h) => h !== '')])];

  if (!fs.existsSync(file('ca.crt')) || !fs.existsSync(file('ca.key'))) {
    ensureClusterCa(dir);
    // A new CA invalidates any serving certificate signed by an old one.
    fs.rmSync(file(SERVING_CERT_FILE), { force: true });
  }

  if (!servingCertUsable(dir, hosts)) {
    const issuer = { cert: fs.readFileSync(file('ca.crt'), 'utf8'), key: fs.readFileSync(file('ca.key'), 'utf8') };
    const serving = makeCertificate({ subject: { commonName: 'bosun-apiserver' }, usage: 'server', hosts, validityDays: certValidityDays(), issuer });
    writeKeyPairAtomically(file(SERVING_KEY_FILE), file(SERVING_CERT_FILE), serving);
    fs.writeFileSync(file('serving-hosts.json'), JSON.stringify(hosts) + '\n');
  }

  // Another apiserver sharing this directory may be between writing the key and the certificate.
  const serving = readFittingPair(() => ({ cert: fs.readFileSync(file(SERVING_CERT_FILE), 'utf8'), key: fs.readFileSync(file(SERVING_KEY_FILE), 'utf8') }));
  return { caCert: fs.readFileSync(file('ca.crt'), 'utf8'), cert: serving.cert, key: serving.key, hosts };
}

/** True when dir holds a serving certificate naming (at least) `hosts` that is not due for renewal (lib/pki/cert-renewal.ts). */
function servingCertUsable(dir: string, hosts: readonly string[]): boolean {
  try {
    const recorded = JSON.parse(fs.readFileSync(path.join(dir, 'serving-hosts.json'), 'utf8')) as unknown;
    // A certificate naming more hosts serves too: `bosun kubeconfigs` adds the apiservers' names
    // (compose), and an apiserver starting later must not replace it with a narrower one.
    if (!Array.isArray(recorded) || !hosts.every((h) => recorded.includes(h))) return false;
    if (!fs.existsSync(path.join(dir, SERVING_KEY_FILE))) return false;
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(dir, SERVING_CERT_FILE)));
    const ca = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'ca.crt')));
    if (!signedBy(cert, ca)) return false;
    return !needsRenewal(cert);
  } catch {
    return false;
  }
}
