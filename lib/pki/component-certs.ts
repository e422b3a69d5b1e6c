/**
 * Certificates the cluster CA (ca.crt / ca.key in the apiserver's cert directory, made by
 * services/apiserver/http/cluster-tls.ts) issues to components for mutual TLS:
 * - the apiserver's client certificate for node agents (Kubernetes' apiserver-kubelet-client):
 *   the streaming server of every agent serves only callers presenting it;
 * - a node agent's serving certificate for its streaming server (the kubelet's port 10250);
 * - a store member's certificate, serving its client and peer ports and dialling its peers
 *   (etcd's server and peer certificates in one), and the apiserver's client certificate
 *   towards the store (Kubernetes' apiserver-etcd-client).
 *
 * Each is kept as `<name>.crt` / `<name>.key` beside the CA and reused until it is due for renewal
 * (./cert-renewal.ts, which also sets the validity) or (for serving certificates) names other
 * hosts. Made in process by ./x509 (ECDSA P-256).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { certValidityDays, needsRenewal, signedBy, subjectAttribute } from './cert-renewal';
import { readFittingPair } from './reloading-identity';
import { writeKeyPairAtomically } from './write-file-atomically';
import { makeCertificate } from './x509';

/** The common name of the apiserver's client certificate towards node agents. */
export const APISERVER_KUBELET_CLIENT_CN = 'bosun-apiserver-kubelet-client';
/** Its organization (Kubernetes puts the apiserver's kubelet client in system:masters). */
export const APISERVER_KUBELET_CLIENT_ORG = 'system:masters';

/** PEM material of an issued certificate. */
export interface IssuedCert {
  readonly cert: string;
  readonly key: string;
  /** The issuing CA's certificate (what the peer checks against). */
  readonly caCert: string;
}

/** What to issue. */
export interface CertRequest {
  /** File stem in the CA directory (`<name>.crt`, `<name>.key`). */
  readonly name: string;
  readonly commonName: string;
  readonly organization?: string;
  readonly usage: 'client' | 'server' | 'peer';
  /** Server certificates: the DNS names and IPs it names. */
  readonly hosts?: readonly string[];
}

/**
 * Issues (or reuses) a certificate signed by the CA in `caDir`. Throws when the CA is missing
 * (the apiserver makes it at first start) or unreadable.
 */
export function ensureComponentCert(caDir: string, request: CertRequest): IssuedCert {
  const file = (name: string) => path.join(caDir, name);
  if (!fs.existsSync(file('ca.crt')) || !fs.existsSync(file('ca.key'))) {
    throw new Error(`no cluster CA in ${caDir} (ca.crt and ca.key are made by the apiserver at its first start)`);
  }
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(request.name)) throw new Error(`certificate name "${request.name}" must be lower-case letters, digits, '.' and '-'`);
  const hosts = [...new Set(request.hosts ?? [])];
  const crt = file(`${request.name}.crt`);
  const key = file(`${request.name}.key`);
  if (!usable(crt, key, file('ca.crt'), hosts)) {
    const issuer = { cert: fs.readFileSync(file('ca.crt'), 'utf8'), key: fs.readFileSync(file('ca.key'), 'utf8') };
    const made = makeCertificate({
      subject: { commonName: request.commonName, organization: request.organization },
      usage: request.usage, hosts, validityDays: certValidityDays(), issuer,
    });
    writeKeyPairAtomically(key, crt, made);
  }
  // Another process issuing the same pair may be between its key and its certificate.
  const pair = readFittingPair(() => ({ cert: fs.readFileSync(crt, 'utf8'), key: fs.readFileSync(key, 'utf8') }));
  return { ...pair, caCert: fs.readFileSync(file('ca.crt'), 'utf8') };
}

/** File stem (in the CA directory) of the apiserver's client certificate for calling node agents. */
export const APISERVER_KUBELET_CLIENT_CERT = 'apiserver-kubelet-client';

/** The apiserver's client certificate for calling node agents. */
export function ensureApiserverKubeletClientCert(caDir: string): IssuedCert {
  return ensureComponentCert(caDir, { name: APISERVER_KUBELET_CLIENT_CERT, commonName: APISERVER_KUBELET_CLIENT_CN, organization: APISERVER_KUBELET_CLIENT_ORG, usage: 'client' });
}

/** File stem (in the CA directory) of node `nodeName`'s serving certificate. */
export function nodeServingCertName(nodeName: string): string {
  return `node-${nodeName.toLowerCase()}-serving`;
}

/** A node agent's serving certificate, naming `hosts` (its addresses) besides 127.0.0.1 and localhost. */
export function ensureNodeServingCert(caDir: string, nodeName: string, hosts: readonly string[]): IssuedCert {
  return ensureComponentCert(caDir, {
    name: nodeServingCertName(nodeName),
    commonName: `system:node:${nodeName}`,
    organization: 'system:nodes',
    usage: 'server',
    hosts: ['127.0.0.1', 'localhost', nodeName, ...hosts],
  });
}

/** The common name of a PEM certificate's subject ('' when it has none). */
export function commonNameOf(pem: string): string {
  return subjectAttribute(new crypto.X509Certificate(pem).subject, 'CN') ?? '';
}

function usable(crt: string, key: string, caCrt: string, hosts: readonly string[]): boolean {
  try {
    if (!fs.existsSync(key)) return false;
    const cert = new crypto.X509Certificate(fs.readFileSync(crt));
    const ca = new crypto.X509Certificate(fs.readFileSync(caCrt));
    if (!signedBy(cert, ca)) return false;
    const named = cert.subjectAltName ?? '';
    if (!hosts.every((h) => named.includes(net.isIP(h) ? `IP Address:${h}` : `DNS:${h}`))) return false;
    return !needsRenewal(cert);
  } catch {
    return false;
  }
}

/** The common name of the apiserver's client certificate towards the store. */
export const APISERVER_ETCD_CLIENT_CN = 'bosun-apiserver-etcd-client';
/** File stem (in the CA directory) of that certificate. */
export const APISERVER_ETCD_CLIENT_CERT = 'apiserver-etcd-client';

/** The apiserver's client certificate for the store's client port (client-cert-auth). */
export function ensureApiserverEtcdClientCert(caDir: string): IssuedCert {
  return ensureComponentCert(caDir, { name: APISERVER_ETCD_CLIENT_CERT, commonName: APISERVER_ETCD_CLIENT_CN, usage: 'client' });
}

/** File stem (in the CA directory) of store member `memberName`'s certificate. */
export function storeMemberCertName(memberName: string): string {
  return `store-${memberName.toLowerCase()}`;
}

/**
 * Store member `memberName`'s certificate: serves its client and peer ports and is presented
 * when it dials the other members. Names 127.0.0.1, localhost, the member's name and `hosts`
 * (the hosts of its advertised URLs).
 */
export function ensureStoreMemberCert(caDir: string, memberName: string, hosts: readonly string[]): IssuedCert {
  return ensureComponentCert(caDir, {
    name: storeMemberCertName(memberName),
    commonName: memberName,
    usage: 'peer',
    hosts: ['127.0.0.1', 'localhost', memberName.toLowerCase(), ...hosts],
  });
}
