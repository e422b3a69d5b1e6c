/**
 * Client-certificate authentication (Kubernetes' x509 authenticator): a certificate the TLS
 * layer verified against the client CA (`--client-ca-file`) names its user in the subject's
 * common name and its groups in the organizations. Both doors hand the verified certificate of
 * the request's connection here; an unverified one never reaches this module (Node reports a
 * peer certificate as authorized only when it chains to the CA).
 */
import type { PeerCertificate } from 'node:tls';
import { AUTHENTICATED_GROUP, type UserInfo } from './request-user';

/** The extended key usage a client certificate must allow when it restricts its usages (id-kp-clientAuth). */
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/** The values of one subject attribute (Node gives a string, or an array when repeated). */
function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((s) => s !== '');
}

/**
 * The user of a verified client certificate: CN as the name, O as the groups (plus
 * system:authenticated); undefined for a certificate without a CN, whose extended key usage
 * leaves out client authentication (a serving certificate presented as a client's), or that has
 * expired by `nowMs`: TLS verified it at the handshake, but the connection may outlive it (as
 * Kubernetes' x509 authenticator, which verifies per request at the current time).
 */
export function userOfCertificate(cert: PeerCertificate | undefined, nowMs: number = Date.now()): UserInfo | undefined {
  if (!cert || !cert.subject) return undefined;
  if (cert.valid_to && !(nowMs <= Date.parse(cert.valid_to))) return undefined;
  if (cert.ext_key_usage && cert.ext_key_usage.length > 0 && !cert.ext_key_usage.includes(CLIENT_AUTH_OID)) return undefined;
  const name = values(cert.subject.CN)[0];
  if (!name) return undefined;
  return { name, groups: [...new Set([...values(cert.subject.O), AUTHENTICATED_GROUP])] };
}
