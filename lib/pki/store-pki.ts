/**
 * The store's own PKI, in the `store` folder of a cluster's pki directory (see
 * STORE_CA_COMMON_NAME): its CA, the apiservers' client certificate towards the store (what
 * etcdctl presents too) and one certificate per member. Everything is made when missing and kept
 * otherwise. Shared by `bosun up`'s store launcher and `bosun kubeconfigs --store-members`
 * (compose, where each member runs in a container of its own).
 */
import * as path from 'node:path';
import { ensureClusterCa, STORE_CA_COMMON_NAME, STORE_PKI_SUBDIR } from './cluster-ca';
import { APISERVER_ETCD_CLIENT_CERT, ensureApiserverEtcdClientCert, ensureStoreMemberCert, storeMemberCertName, type IssuedCert } from './component-certs';

/** PEM file paths of one party's TLS towards or within the store: etcd's --cacert/--cert/--key or --trusted-ca-file/--cert-file/--key-file. */
export interface StoreTlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** The store's folder under the cluster's pki directory `pkiDir`. */
export function storePkiDir(pkiDir: string): string {
  return path.join(pkiDir, STORE_PKI_SUBDIR);
}

/** The store's CA and the apiservers' client certificate in `storeDir` (made when missing): the files and their PEM contents. */
export function ensureStoreClientPki(storeDir: string): { files: StoreTlsFiles; issued: IssuedCert } {
  const ca = ensureClusterCa(storeDir, STORE_CA_COMMON_NAME);
  const issued = ensureApiserverEtcdClientCert(storeDir);
  return { files: { ca, cert: path.join(storeDir, `${APISERVER_ETCD_CLIENT_CERT}.crt`), key: path.join(storeDir, `${APISERVER_ETCD_CLIENT_CERT}.key`) }, issued };
}

/**
 * Member `name`'s certificate in `storeDir` (made when missing or naming other hosts), serving
 * its client and peer ports and presented to its peers; `hosts` are the hosts of its advertised
 * URLs beyond its name, 127.0.0.1 and localhost. The store's CA must exist (ensureStoreClientPki).
 */
export function ensureStoreMemberFiles(storeDir: string, name: string, hosts: readonly string[]): StoreTlsFiles {
  ensureStoreMemberCert(storeDir, name, hosts);
  const stem = path.join(storeDir, storeMemberCertName(name));
  return { ca: path.join(storeDir, 'ca.crt'), cert: `${stem}.crt`, key: `${stem}.key` };
}
