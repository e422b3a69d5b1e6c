/**
 * Makes ECDSA P-256 keys and X.509 v3 certificates in process, without the openssl CLI (the
 * minimal container image has none): keys and signatures come from Node's crypto, the
 * certificate's DER structure from @peculiar/asn1-x509. Synchronous, like the file-based
 * callers that keep the material on disk.
 *
 * Certificates carry what the cluster's TLS peers check: basicConstraints (critical), keyUsage
 * (critical), extendedKeyUsage for leaves, subjectAltName for hosts, and subject / authority
 * key identifiers so chains build by key. Keys are PEM "EC PRIVATE KEY" (SEC1), as
 * `openssl ecparam -genkey` wrote them.
 */
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, AuthorityKeyIdentifier, BasicConstraints, Certificate,
  ExtendedKeyUsage, Extension, Extensions, GeneralName, id_ce_authorityKeyIdentifier, id_ce_basicConstraints,
  id_ce_extKeyUsage, id_ce_keyUsage, id_ce_subjectAltName, id_ce_subjectKeyIdentifier, id_kp_clientAuth,
  id_kp_serverAuth, KeyIdentifier, KeyUsage, KeyUsageFlags, Name, RelativeDistinguishedName, SubjectAlternativeName,
  SubjectKeyIdentifier, SubjectPublicKeyInfo, TBSCertificate, Validity, Version,
} from '@peculiar/asn1-x509';

/** ecdsa-with-SHA256 (RFC 5758). */
const ECDSA_WITH_SHA256_OID = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
/** Bytes of a random serial number (positive and minimally encoded: top bit cleared, next set). */
const SERIAL_BYTES = 16;
/** Backdating of notBefore, so a peer whose clock is slightly behind accepts a fresh certificate. */
export const NOT_BEFORE_SKEW_MS = 5 * 60 * 1000;
const MS_PER_DAY = 24 * 3600 * 1000;

/** A distinguished name: its CN and, optionally, its O. */
export interface Subject {
  readonly commonName: string;
  readonly organization?: string;
}

/** A PEM certificate and its PEM private key. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/** What to make. */
export interface CertificateSpec {
  readonly subject: Subject;
  readonly validityDays: number;
  /**
   * 'ca' makes a CA (keyCertSign); 'server' / 'client' make leaves with that extended usage;
   * 'peer' a leaf with both (a store member serves its peer port and dials the other members with it).
   */
  readonly usage: 'ca' | 'server' | 'client' | 'peer';
  /** DNS names and IP addresses for subjectAltName (leaves only). */
  readonly hosts?: readonly string[];
  /** The CA that signs it; absent: self-signed. */
  readonly issuer?: KeyPair;
}

/** Makes a new P-256 key and a certificate for it, per `spec`. Throws on a malformed issuer. */
export function makeCertificate(spec: CertificateSpec): KeyPair {
  if (!(spec.validityDays > 0)) throw new Error(`validityDays must be positive (got ${spec.validityDays})`);
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
  const subjectKeyId = keyIdentifier(spki);

  let issuerName = nameOf(spec.subject);
  let issuerKeyId = subjectKeyId;
  let signingKey = privateKey;
  if (spec.issuer) {
    const issuerCert = AsnConvert.parse(pemToDer(spec.issuer.cert), Certificate);
    issuerName = issuerCert.tbsCertificate.subject;
    issuerKeyId = keyIdentifier(issuerCert.tbsCertificate.subjectPublicKeyInfo);
    signingKey = crypto.createPrivateKey(spec.issuer.key);
  }

  const now = Date.now();
  const serial = crypto.randomBytes(SERIAL_BYTES);
  serial[0] = (serial[0] & 0x3f) | 0x40;
  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256_OID });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serial),
    signature: algorithm,
    issuer: issuerName,
    validity: new Validity({ notBefore: new Date(now - NOT_BEFORE_SKEW_MS), notAfter: new Date(now + spec.validityDays * MS_PER_DAY) }),
    subject: nameOf(spec.subject),
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensionsFor(spec, subjectKeyId, issuerKeyId)),
  });
  const signature = crypto.sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), { key: signingKey, dsaEncoding: 'der' });
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: toArrayBuffer(signature) });
  return {
    cert: derToPem(Buffer.from(AsnConvert.serialize(cert)), 'CERTIFICATE'),
    key: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
  };
}

function extensionsFor(spec: CertificateSpec, subjectKeyId: Buffer, issuerKeyId: Buffer): Extension[] {
  const ext = (extnID: string, critical: boolean, value: object) =>
    new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
  const isCa = spec.usage === 'ca';
  const out = [
    ext(id_ce_basicConstraints, true, new BasicConstraints({ cA: isCa })),
    ext(id_ce_keyUsage, true, new KeyUsage(isCa
      ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature
      : KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment)),
    ext(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(toArrayBuffer(subjectKeyId))),
  ];
  if (spec.issuer) out.push(ext(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(toArrayBuffer(issuerKeyId)) })));
  if (!isCa) {
    const usages = spec.usage === 'peer' ? [id_kp_serverAuth, id_kp_clientAuth] : [spec.usage === 'server' ? id_kp_serverAuth : id_kp_clientAuth];
    out.push(ext(id_ce_extKeyUsage, false, new ExtendedKeyUsage(usages)));
  }
  const hosts = [...new Set(spec.hosts ?? [])];
  if (hosts.length > 0) {
    out.push(ext(id_ce_subjectAltName, false, new SubjectAlternativeName(
      hosts.map((h) => new GeneralName(net.isIP(h) ? { iPAddress: h } : { dNSName: h })),
    )));
  }
  return out;
}

/** O then CN, as `-subj /O=…/CN=…` ordered them. */
function nameOf(subject: Subject): Name {
  const rdn = (type: string, value: string) =>
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) })]);
  const rdns = subject.organization ? [rdn(OID_ORGANIZATION, subject.organization)] : [];
  rdns.push(rdn(OID_COMMON_NAME, subject.commonName));
  return new Name(rdns);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: SubjectPublicKeyInfo): Buffer {
  return crypto.createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();
}

function pemToDer(pem: string): Buffer {
  return new crypto.X509Certificate(pem).raw;
}

function derToPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}
