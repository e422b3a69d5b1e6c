/**
 * When a certificate is issued again, and for how long a new one is valid: the one rule every
 * issuer of the cluster's leaf certificates follows (the component certificates, the apiservers'
 * serving certificate, the store's), whether it checks at a component's start or on
 * `bosun up`'s renewal timer.
 *
 * A certificate is renewed once a third of its lifetime is left, or RENEW_BEFORE_MS, whichever
 * comes first — as kubeadm renews ahead of expiry and the kubelet's certificate manager rotates
 * at 70–90 % of the lifetime. The validity of new leaf certificates is one year, or
 * BOSUN_CERT_VALIDITY_SECONDS (for tests that watch a rotation happen within minutes).
 *
 * `renewCertificateFile` re-issues an existing `<name>.crt` / `<name>.key` with the same subject,
 * hosts and usage, signed by the CA in the same directory: whoever holds the CA can renew what it
 * made without knowing why it was made.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config-error';
import { writeKeyPairAtomically } from './write-file-atomically';
import { makeCertificate, NOT_BEFORE_SKEW_MS, type CertificateSpec } from './x509';

/** The environment variable that sets the validity of newly issued leaf certificates, in seconds. */
export const CERT_VALIDITY_ENV = 'BOSUN_CERT_VALIDITY_SECONDS';
/** Validity of a leaf certificate without {@link CERT_VALIDITY_ENV}. */
export const DEFAULT_CERT_VALIDITY_SECONDS = 365 * 24 * 3600;
/** Shortest validity accepted (a rotation must fit between the issuer's checks and the readers'). */
export const MIN_CERT_VALIDITY_SECONDS = 30;
/** A certificate is renewed at the latest this long before it expires. */
export const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
/** The fraction of its lifetime left when a shorter-lived certificate is renewed. */
const RENEW_AT_REMAINING_FRACTION = 1 / 3;
/** Longest pause between two renewal checks of an issuer (kubelet's certificate manager checks about as often). */
export const MAX_RENEWAL_CHECK_INTERVAL_MS = 60_000;
/** Renewal checks per validity period, so a short-lived certificate is renewed well before it expires. */
const RENEWAL_CHECKS_PER_VALIDITY = 10;
const MS_PER_DAY = 24 * 3600 * 1000;

/**
 * The validity of newly issued leaf certificates in seconds: {@link CERT_VALIDITY_ENV} when set,
 * else one year. A ConfigError naming the variable when it is not a whole number of at least
 * {@link MIN_CERT_VALIDITY_SECONDS}.
 */
export function certValiditySeconds(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env[CERT_VALIDITY_ENV];
  if (raw === undefined || raw === '') return DEFAULT_CERT_VALIDITY_SECONDS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < MIN_CERT_VALIDITY_SECONDS) {
    throw new ConfigError(`${CERT_VALIDITY_ENV}: "${raw}" is not a whole number of seconds of at least ${MIN_CERT_VALIDITY_SECONDS}`);
  }
  return seconds;
}

/** The validity of newly issued leaf certificates in days (what makeCertificate takes; a fraction for short ones). */
export function certValidityDays(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return (certValiditySeconds(env) * 1000) / MS_PER_DAY;
}

/** How often an issuer checks its certificates for renewal, given the validity it issues with. */
export function renewalCheckIntervalMs(validitySeconds: number): number {
  return Math.min(MAX_RENEWAL_CHECK_INTERVAL_MS, Math.floor((validitySeconds * 1000) / RENEWAL_CHECKS_PER_VALIDITY));
}

/**
 * The moment (ms since the epoch) from which `cert` is due for renewal: a third of its lifetime
 * before notAfter, or RENEW_BEFORE_MS before it, whichever is earlier. The lifetime leaves out the
 * backdating of notBefore that makeCertificate adds.
 */
export function renewalTimeMs(cert: crypto.X509Certificate): number {
  const notAfter = Date.parse(cert.validTo);
  const lifetime = Math.max(0, notAfter - Date.parse(cert.validFrom) - NOT_BEFORE_SKEW_MS);
  return notAfter - Math.min(RENEW_BEFORE_MS, lifetime * RENEW_AT_REMAINING_FRACTION);
}

/** True when `cert` is a leaf that `ca` signed (its issuer name and signature both check). */
export function signedBy(cert: crypto.X509Certificate, ca: crypto.X509Certificate): boolean {
  return !cert.ca && cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** True when `cert` is due for renewal at `nowMs` (see {@link renewalTimeMs}). */
export function needsRenewal(cert: crypto.X509Certificate, nowMs: number = Date.now()): boolean {
  return nowMs >= renewalTimeMs(cert);
}

/** What a certificate is for, read back from its extended key usages (serverAuth, clientAuth). */
function usageOf(cert: crypto.X509Certificate): CertificateSpec['usage'] {
  const usages = cert.keyUsage ?? [];
  const server = usages.includes('1.3.6.1.5.5.7.3.1');
  const client = usages.includes('1.3.6.1.5.5.7.3.2');
  if (server && client) return 'peer';
  if (server) return 'server';
  if (client) return 'client';
  throw new Error('it names neither serverAuth nor clientAuth');
}

/** The DNS names and IPs of a certificate's subjectAltName. */
function hostsOf(cert: crypto.X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1])
    .filter((h): h is string => h !== undefined);
}

/** The value of attribute `type` (CN, O) of a subject as X509Certificate prints it. */
export function subjectAttribute(subject: string, type: string): string | undefined {
  return new RegExp(`(?:^|\\n)${type}=([^\\n]*)`).exec(subject)?.[1];
}

/** What {@link renewDueCertificates} found in one directory. */
export interface RenewalOutcome {
  /** Stems (`<name>` of `<name>.crt`) of the certificates issued again. */
  readonly renewed: string[];
  /** Certificates that were due but could not be renewed, with why. */
  readonly failed: { readonly name: string; readonly error: string }[];
}

/**
 * Issues `<dir>/<name>.crt` and `.key` again, signed by `<dir>/ca.crt` / `ca.key`, with the
 * subject, hosts and usage of the certificate there now and the validity of
 * {@link certValidityDays}. The key is written first: a reader that sees the new key beside the
 * old certificate finds they do not match and reads again later (see reloading-identity.ts).
 */
export function renewCertificateFile(dir: string, name: string): void {
  const file = (f: string) => path.join(dir, f);
  const old = new crypto.X509Certificate(fs.readFileSync(file(`${name}.crt`)));
  const commonName = subjectAttribute(old.subject, 'CN');
  if (commonName === undefined) throw new Error(`${file(`${name}.crt`)} has no common name`);
  const organization = subjectAttribute(old.subject, 'O');
  const issuer = { cert: fs.readFileSync(file('ca.crt'), 'utf8'), key: fs.readFileSync(file('ca.key'), 'utf8') };
  const made = makeCertificate({
    subject: { commonName, ...(organization !== undefined ? { organization } : {}) },
    usage: usageOf(old),
    hosts: hostsOf(old),
    validityDays: certValidityDays(),
    issuer,
  });
  writeKeyPairAtomically(file(`${name}.key`), file(`${name}.crt`), made);
}

/**
 * Renews every leaf certificate in `dir` (each `<name>.crt` with a `<name>.key` beside it, signed
 * by the directory's ca.crt) that is due at `nowMs`. Certificates another CA signed are left
 * alone. Never throws for one certificate: its failure is reported in the outcome.
 */
export function renewDueCertificates(dir: string, nowMs: number = Date.now()): RenewalOutcome {
  const outcome: RenewalOutcome = { renewed: [], failed: [] };
  let ca: crypto.X509Certificate;
  let entries: string[];
  try {
    ca = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'ca.crt')));
    entries = fs.readdirSync(dir);
  } catch {
    return outcome; // no CA here (yet): nothing this issuer made
  }
  for (const entry of entries.sort()) {
    const name = entry.endsWith('.crt') ? entry.slice(0, -'.crt'.length) : undefined;
    if (name === undefined || name === 'ca' || !entries.includes(`${name}.key`)) continue;
    try {
      const cert = new crypto.X509Certificate(fs.readFileSync(path.join(dir, entry)));
      if (!signedBy(cert, ca) || !needsRenewal(cert, nowMs)) continue;
      renewCertificateFile(dir, name);
      outcome.renewed.push(name);
    } catch (err) {
      outcome.failed.push({ name, error: (err as Error).message });
    }
  }
  return outcome;
}
