/**
 * The cluster CA (ca.crt / ca.key), made once in a pki directory and reused. The apiserver
 * makes it at its first start (services/apiserver/http/cluster-tls.ts), but `bosun up` starts
 * the store first, whose certificates it signs: the launcher makes it here beforehand, with the
 * same files and subject, and the apiserver then finds and reuses it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeKeyPairAtomically } from './write-file-atomically';
import { makeCertificate } from './x509';

/** The CA's subject common name (the apiserver's, see cluster-tls.ts). */
export const CLUSTER_CA_COMMON_NAME = 'bosun-cluster-ca';
/** Validity of a CA made here, in days (ten years, as kubeadm's). */
const CLUSTER_CA_VALIDITY_DAYS = 3650;

/**
 * The store's own CA (kubeadm keeps etcd's apart the same way): it signs only the store members'
 * certificates and the apiservers' client certificate towards the store, so no other holder of
 * a cluster certificate (a node, a component, a user) can reach the store.
 */
export const STORE_CA_COMMON_NAME = 'bosun-store-ca';
/** Where the store's CA and certificates live, under the cluster's pki directory. */
export const STORE_PKI_SUBDIR = 'store';

/** Makes ca.crt / ca.key in `dir` when either is missing; returns the path of ca.crt. */
export function ensureClusterCa(dir: string, commonName = CLUSTER_CA_COMMON_NAME): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const crt = path.join(dir, 'ca.crt');
  const key = path.join(dir, 'ca.key');
  if (!fs.existsSync(crt) || !fs.existsSync(key)) {
    const ca = makeCertificate({ subject: { commonName }, usage: 'ca', validityDays: CLUSTER_CA_VALIDITY_DAYS });
    writeKeyPairAtomically(key, crt, ca);
  }
  return crt;
}
