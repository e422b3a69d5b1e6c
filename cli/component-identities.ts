/**
 * Every Bosun component is an API client with its own identity: a user in the apiserver's token
 * file (Kubernetes' user names) and a kubeconfig naming the apiservers and that user's token.
 * `bosun up` and `bosun kubeconfigs` (compose) write them; the components read them with
 * `--kubeconfig`. Adding a component (proxy, dns) is one more entry in
 * {@link COMPONENT_IDENTITIES}; every node agent has its own ({@link nodeIdentity}).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { grpcEndpointsOf, readKubeconfig, stringifyKubeconfig, writeKubeconfig } from '../lib/client/kubeconfig';
import { writeFileAtomically } from '../lib/pki/write-file-atomically';
import type { UserInfo } from '../services/apiserver/authn/request-user';
import { NODES_GROUP } from '../services/apiserver/authz/bootstrap-policy';
import { NODE_USER_PREFIX } from '../services/apiserver/authz/node-authorizer';
import { ensureAdminIsMaster, ensureTokenFile, ensureUserToken } from '../services/apiserver/http/bearer-auth';
import { ensureComponentCert, type IssuedCert } from '../lib/pki/component-certs';

/** One component's identity. */
export interface ComponentIdentity {
  /** Kubernetes' component name; its kubeconfig is `<component>.kubeconfig`. */
  readonly component: string;
  readonly user: UserInfo;
}

/** kube-scheduler's user (Kubernetes': no groups beyond system:authenticated). */
export const KUBE_SCHEDULER: ComponentIdentity = { component: 'kube-scheduler', user: { name: 'system:kube-scheduler', uid: 'system:kube-scheduler', groups: [] } };
/** kube-controller-manager's user. */
export const KUBE_CONTROLLER_MANAGER: ComponentIdentity = {
  component: 'kube-controller-manager',
  user: { name: 'system:kube-controller-manager', uid: 'system:kube-controller-manager', groups: [] },
};

/**
 * The identity of the node agent of `nodeName` (Kubernetes': system:node:<name> in group
 * system:nodes, what the Node authorizer and NodeRestriction key on); its kubeconfig is
 * `kubelet-<node>.kubeconfig`. Every node has its own, so a node can reach only its own objects.
 */
export function nodeIdentity(nodeName: string): ComponentIdentity {
  const name = `${NODE_USER_PREFIX}${nodeName}`;
  return { component: `kubelet-${nodeName}`, user: { name, uid: name, groups: [NODES_GROUP] } };
}

/** kube-proxy's user (Kubernetes': system:kube-proxy, bound to system:node-proxier). */
export const KUBE_PROXY: ComponentIdentity = { component: 'kube-proxy', user: { name: 'system:kube-proxy', uid: 'system:kube-proxy', groups: [] } };

/** The cluster DNS's user (Kubernetes runs CoreDNS as the kube-system/coredns service account). */
export const COREDNS: ComponentIdentity = { component: 'coredns', user: { name: 'system:serviceaccount:kube-system:coredns', uid: 'system:serviceaccount:kube-system:coredns', groups: ['system:serviceaccounts'] } };

/** The ingress controller's user. */
export const BOSUN_INGRESS: ComponentIdentity = { component: 'bosun-ingress', user: { name: 'system:bosun-ingress', uid: 'system:bosun-ingress', groups: [] } };

/** The components that get an identity. */
export const COMPONENT_IDENTITIES: readonly ComponentIdentity[] = [KUBE_SCHEDULER, KUBE_CONTROLLER_MANAGER, KUBE_PROXY, COREDNS, BOSUN_INGRESS];

/** The folder (under the cluster's data directory) holding the components' kubeconfigs. */
export const COMPONENT_KUBECONFIG_DIR = 'kubeconfigs';

/** What the components' kubeconfigs describe. */
export interface ComponentKubeconfigSpec {
  /** The cluster's data directory: kubeconfigs go to `<dir>/kubeconfigs/`. */
  readonly dir: string;
  /** The apiservers' token file (made with an admin token when missing; component tokens added when missing). */
  readonly tokenFile: string;
  /** gRPC endpoints of the apiservers. */
  readonly grpcEndpoints: readonly string[];
  /** The Kubernetes HTTP API's URL and CA (PEM), when served. */
  readonly server?: string;
  readonly caCert?: string;
  /** Cluster name in the kubeconfigs (default "bosun-local"). */
  readonly clusterName?: string;
  /** The nodes whose agents get an identity each (see {@link nodeIdentity}); none by default. */
  readonly nodeNames?: readonly string[];
  /**
   * The cluster CA's directory: when given, each kubeconfig also carries a client certificate
   * the CA issues to the identity (CN = user, O = its first group), which the apiservers
   * authenticate before the token (Kubernetes' order); the token stays as a fallback.
   */
  readonly certDir?: string;
}

/** File stem (in the CA directory) of the client certificate of `component`. */
function clientCertName(component: string): string {
  return `client-${component.toLowerCase()}`;
}

/** The client certificate of `identity`, issued by the CA in `certDir` (kept beside it as client-<component>.crt/.key). */
export function ensureIdentityClientCert(certDir: string, identity: ComponentIdentity): IssuedCert {
  return ensureComponentCert(certDir, { name: clientCertName(identity.component), commonName: identity.user.name, organization: identity.user.groups[0], usage: 'client' });
}

/**
 * Puts the client certificates now in `certDir` into the component kubeconfigs under `dir` that
 * embed an older one (each `<component>.kubeconfig` carries `client-<component>.crt/.key`),
 * changing nothing else in them; each file is replaced atomically. Called after the certificates
 * were renewed; the components follow their kubeconfig (lib/client/kubeconfig-client.ts).
 * Returns the kubeconfigs rewritten.
 */
export function refreshKubeconfigClientCerts(dir: string, certDir: string): string[] {
  const kubeconfigDir = path.join(dir, COMPONENT_KUBECONFIG_DIR);
  const rewritten: string[] = [];
  const files = fs.existsSync(kubeconfigDir) ? fs.readdirSync(kubeconfigDir).filter((f) => f.endsWith(KUBECONFIG_SUFFIX)).sort() : [];
  for (const name of files) {
    const stem = path.join(certDir, clientCertName(name.slice(0, -KUBECONFIG_SUFFIX.length)));
    if (!fs.existsSync(`${stem}.crt`) || !fs.existsSync(`${stem}.key`)) continue;
    const file = path.join(kubeconfigDir, name);
    const config = readKubeconfig(file);
    const certData = fs.readFileSync(`${stem}.crt`).toString('base64');
    const keyData = fs.readFileSync(`${stem}.key`).toString('base64');
    let changed = false;
    for (const u of config.users) {
      if (u.user['client-certificate-data'] === undefined || u.user['client-certificate-data'] === certData) continue;
      u.user['client-certificate-data'] = certData;
      u.user['client-key-data'] = keyData;
      changed = true;
    }
    if (!changed) continue;
    writeFileAtomically(file, stringifyKubeconfig(config), 0o600);
    rewritten.push(file);
  }
  return rewritten;
}

/** The suffix of a component kubeconfig's file name. */
const KUBECONFIG_SUFFIX = '.kubeconfig';

/** The kubeconfig file of `component` under the data directory `dir`. */
export function componentKubeconfigPath(dir: string, component: string): string {
  return path.join(dir, COMPONENT_KUBECONFIG_DIR, `${component}${KUBECONFIG_SUFFIX}`);
}

/**
 * Makes sure every component (and every node of `spec.nodeNames`) has a token in the token file
 * (an existing cluster's file, with only the admin token, gains the missing ones and its admin
 * is put in system:masters; existing tokens are kept) and writes one kubeconfig per identity. Returns the kubeconfig of each
 * component by name (nodes' as `kubelet-<node>`).
 */
export function writeComponentKubeconfigs(spec: ComponentKubeconfigSpec): Map<string, string> {
  ensureTokenFile(spec.tokenFile);
  ensureAdminIsMaster(spec.tokenFile);
  const files = new Map<string, string>();
  for (const identity of [...COMPONENT_IDENTITIES, ...(spec.nodeNames ?? []).map(nodeIdentity)]) files.set(identity.component, writeIdentityKubeconfig(spec, identity));
  return files;
}

/** Writes the kubeconfig of one identity (its token made when missing); returns its path. */
export function writeIdentityKubeconfig(spec: ComponentKubeconfigSpec, identity: ComponentIdentity): string {
  const token = ensureUserToken(spec.tokenFile, identity.user);
  const file = componentKubeconfigPath(spec.dir, identity.component);
  const clientCert = spec.certDir ? ensureIdentityClientCert(spec.certDir, identity) : undefined;
  writeKubeconfig(file, {
    clusterName: spec.clusterName ?? 'bosun-local',
    userName: identity.user.name,
    // Without the HTTP API, the server names the first gRPC endpoint (kubectl cannot use it; Bosun can).
    server: spec.server ?? `grpc://${spec.grpcEndpoints[0]}`,
    caData: spec.caCert ? Buffer.from(spec.caCert).toString('base64') : undefined,
    token,
    ...(clientCert ? { clientCert: clientCert.cert, clientKey: clientCert.key } : {}),
    grpcEndpoints: [...spec.grpcEndpoints],
  });
  return file;
}

/**
 * Gives node `nodeName` of a running cluster (data directory `dir`, token file `tokenFile`) its
 * own identity and kubeconfig, naming the same apiservers as the kubeconfig of `like` (another
 * component's). The apiservers pick the new token up from the token file (bearer-auth.ts); with
 * `certDir` (the cluster CA's) the kubeconfig also carries a client certificate.
 */
export function addNodeIdentity(dir: string, tokenFile: string, nodeName: string, like: string = KUBE_PROXY.component, certDir?: string): string {
  const template = readKubeconfig(componentKubeconfigPath(dir, like));
  const cluster = template.clusters[0];
  if (!cluster) throw new Error(`${componentKubeconfigPath(dir, like)}: no cluster to copy`);
  const server = cluster.cluster.server;
  const grpcEndpoints = grpcEndpointsOf(cluster.cluster);
  return writeIdentityKubeconfig(
    { dir, tokenFile, grpcEndpoints, server: server?.startsWith('https://') ? server : undefined, caCert: decodeCa(cluster.cluster['certificate-authority-data']), clusterName: cluster.name, certDir },
    nodeIdentity(nodeName),
  );
}

function decodeCa(data: string | undefined): string | undefined {
  return data ? Buffer.from(data, 'base64').toString('utf8') : undefined;
}
