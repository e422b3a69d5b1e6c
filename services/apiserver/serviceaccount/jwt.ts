/**
 * Compact JWS (JWT) signing and verification for ServiceAccount tokens, on Node's crypto: ES256
 * (P-256, signature as the 64-byte r||s of RFC 7518, `dsaEncoding: 'ieee-p1363'`) and RS256.
 * Node's crypto rather than `jose`: the build is CommonJS and `jose` 6 is ESM only, and the
 * verifier must stay synchronous-friendly and small; two algorithms need no more.
 *
 * The key id (`kid`) of a public key is Kubernetes': the unpadded base64url SHA-256 of its DER
 * SubjectPublicKeyInfo, so a verifier picks the key a token names without trying each one.
 */
import * as crypto from 'node:crypto';

/** The algorithms signed and accepted. */
export type JwtAlgorithm = 'ES256' | 'RS256';

/** A JWT's claims (any JSON object; the registered ones typed). */
export interface JwtClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly exp?: number;
  readonly nbf?: number;
  readonly iat?: number;
  readonly jti?: string;
  readonly [claim: string]: unknown;
}

/** A private key ready to sign: its algorithm and key id follow from the key. */
export interface SigningKey {
  readonly key: crypto.KeyObject;
  readonly alg: JwtAlgorithm;
  readonly kid: string;
}

/** A public key a verifier accepts. */
export interface VerificationKey {
  readonly key: crypto.KeyObject;
  readonly alg: JwtAlgorithm;
  readonly kid: string;
}

/** Why a token was refused (never shown to the client: every refusal is a plain 401). */
export class JwtError extends Error {}

/** The algorithm of a key: ES256 for a P-256 EC key, RS256 for RSA; anything else is refused. */
export function algorithmOf(key: crypto.KeyObject): JwtAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`unsupported service account key: ${key.asymmetricKeyType ?? 'symmetric'}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''} (use an RSA or a P-256 EC key)`);
}

/** Kubernetes' key id of a public key (see the module comment). */
export function keyIdOf(publicKey: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
}

/** A signing key from a PEM private key. */
export function signingKeyFromPem(pem: string | Buffer): SigningKey {
  const key = crypto.createPrivateKey(pem);
  return { key, alg: algorithmOf(key), kid: keyIdOf(crypto.createPublicKey(key)) };
}

/** The verification keys of a PEM file: every public key, certificate or private key (its public half) in it. */
export function verificationKeysFromPem(pem: string): VerificationKey[] {
  const blocks = pem.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g) ?? [];
  const out: VerificationKey[] = [];
  for (const block of blocks) {
    let key: crypto.KeyObject;
    if (block.includes('CERTIFICATE')) key = new crypto.X509Certificate(block).publicKey;
    else if (block.includes('PRIVATE KEY')) key = crypto.createPublicKey(crypto.createPrivateKey(block));
    else key = crypto.createPublicKey(block);
    out.push({ key, alg: algorithmOf(key), kid: keyIdOf(key) });
  }
  return out;
}

/** The verification key of a signing key (its public half). */
export function verificationKeyOf(signing: SigningKey): VerificationKey {
  const key = crypto.createPublicKey(signing.key);
  return { key, alg: signing.alg, kid: signing.kid };
}

/** Signs `claims` as a compact JWS. */
export function signJwt(claims: JwtClaims, signing: SigningKey): string {
  const header = b64json({ alg: signing.alg, kid: signing.kid });
  const input = `${header}.${b64json(claims)}`;
  const signature = crypto.sign('sha256', Buffer.from(input), signing.alg === 'ES256' ? { key: signing.key, dsaEncoding: 'ieee-p1363' } : signing.key);
  return `${input}.${signature.toString('base64url')}`;
}

/** The parts of a compact JWS, undecoded-signature-checked; undefined when `token` does not look like a JWT at all. */
export interface ParsedJwt {
  readonly header: { readonly alg?: unknown; readonly kid?: unknown; readonly [k: string]: unknown };
  readonly claims: JwtClaims;
  readonly signingInput: string;
  readonly signature: Buffer;
}

/**
 * A token's header and claims, or undefined when it is not shaped as a JWT (three base64url
 * parts whose first two are JSON objects): such a token belongs to another authenticator.
 */
export function parseJwt(token: string): ParsedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  const header = jsonObject(parts[0]!);
  const claims = jsonObject(parts[1]!);
  if (!header || !claims) return undefined;
  return { header, claims: claims as JwtClaims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
}

/**
 * Checks the signature of `jwt` against `keys` (the one its `kid` names, else each key of its
 * algorithm); throws JwtError when none verifies. `alg: none` and algorithms other than the
 * key's are refused (no algorithm confusion).
 */
export function verifySignature(jwt: ParsedJwt, keys: readonly VerificationKey[]): void {
  const alg = jwt.header.alg;
  if (alg !== 'ES256' && alg !== 'RS256') throw new JwtError(`unsupported algorithm ${JSON.stringify(alg)}`);
  const kid = typeof jwt.header.kid === 'string' ? jwt.header.kid : undefined;
  const candidates = keys.filter((k) => k.alg === alg && (kid === undefined || k.kid === kid));
  const data = Buffer.from(jwt.signingInput);
  for (const k of candidates) {
    const ok = alg === 'ES256' ? crypto.verify('sha256', data, { key: k.key, dsaEncoding: 'ieee-p1363' }, jwt.signature) : crypto.verify('sha256', data, k.key, jwt.signature);
    if (ok) return;
  }
  throw new JwtError('invalid signature');
}

/** A fresh PEM (PKCS#8) P-256 private key, for `bosun up` and tests. */
export function newSigningKeyPem(): string {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function jsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
