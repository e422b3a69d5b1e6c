/**
 * Every Bosun component is an API client with its own identity: a user in the apiserver's token
 * file (Kubernetes' user names) and a kubeconfig naming the apiservers and that user's token.
 * `bosun up` and `bosun kubeconfigs` (compose) write them; the components read them with
 * `--kubeconfig`. Adding a component (node agent, proxy, dns) is one more entry in
 * {@link COMPONENT_IDENTITIES}.
 */
import * as path from 'node:path';
import { writeKubeconfig } from '../lib/client/kubeconfig';
import type { UserInfo } from '../services/apiserver/authn/request-user';
import { ensureTokenFile, ensureUserToken } from '../services/apiserver/http/bearer-auth';

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

/** The node agents' user (Kubernetes' nodes authenticate as system:node:<name> in group system:nodes; local agents share one). */
export const KUBELET: ComponentIdentity = { component: 'kubelet', user: { name: 'system:node:bosun-local', uid: 'system:node:bosun-local', groups: ['system:nodes'] } };

/** kube-proxy's user (Kubernetes': system:kube-proxy, bound to system:node-proxier). */
export const KUBE_PROXY: ComponentIdentity = { component: 'kube-proxy', user: { name: 'system:kube-proxy', uid: 'system:kube-proxy', groups: [] } };

/** The cluster DNS's user (Kubernetes runs CoreDNS as the kube-system/coredns service account). */
export const COREDNS: ComponentIdentity = { component: 'coredns', user: { name: 'system:serviceaccount:kube-system:coredns', uid: 'system:serviceaccount:kube-system:coredns', groups: ['system:serviceaccounts'] } };

/** The ingress controller's user. */
export const BOSUN_INGRESS: ComponentIdentity = { component: 'bosun-ingress', user: { name: 'system:bosun-ingress', uid: 'system:bosun-ingress', groups: [] } };

/** The components that get an identity. */
export const COMPONENT_IDENTITIES: readonly ComponentIdentity[] = [KUBE_SCHEDULER, KUBE_CONTROLLER_MANAGER, KUBELET, KUBE_PROXY, COREDNS, BOSUN_INGRESS];

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
}

/** The kubeconfig file of `component` under the data directory `dir`. */
export function componentKubeconfigPath(dir: string, component: string): string {
  return path.join(dir, COMPONENT_KUBECONFIG_DIR, `${component}.kubeconfig`);
}

/**
 * Makes sure every component has a token in the token file (an existing cluster's file, with
 * only the admin token, gains the missing ones; existing tokens are kept) and writes one
 * kubeconfig per component. Returns the kubeconfig of each component by name.
 */
export function writeComponentKubeconfigs(spec: ComponentKubeconfigSpec): Map<string, string> {
  ensureTokenFile(spec.tokenFile);
  const files = new Map<string, string>();
  for (const identity of COMPONENT_IDENTITIES) {
    const token = ensureUserToken(spec.tokenFile, identity.user);
    const file = componentKubeconfigPath(spec.dir, identity.component);
    writeKubeconfig(file, {
      clusterName: spec.clusterName ?? 'bosun-local',
      userName: identity.user.name,
      // Without the HTTP API, the server names the first gRPC endpoint (kubectl cannot use it; Bosun can).
      server: spec.server ?? `grpc://${spec.grpcEndpoints[0]}`,
      caData: spec.caCert ? Buffer.from(spec.caCert).toString('base64') : undefined,
      token,
      grpcEndpoints: [...spec.grpcEndpoints],
    });
    files.set(identity.component, file);
  }
  return files;
}
