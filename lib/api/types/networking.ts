/**
 * The typed objects of the networking.k8s.io/v1 kinds: Ingress, IngressClass and their parts.
 * Kubernetes' JSON field names; only the fields Bosun reads are named, the rest stay open.
 * Shared by the apiserver (the strategies) and every client (the ingress controller).
 */
import type { KubeObject } from '../object';

/** How an Ingress path matches a request path. */
export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** networking/v1 ServiceBackendPort: exactly one of a number or a name. */
export type ServiceBackendPort = { number?: number; name?: string };

/** networking/v1 IngressServiceBackend: a Service of the Ingress's namespace and one of its ports. */
export type IngressServiceBackend = { name: string; port?: ServiceBackendPort };

/** A reference to an object of any kind in the Ingress's namespace (core/v1 TypedLocalObjectReference). */
export type TypedLocalObjectReference = { apiGroup?: string; kind: string; name: string };

/** networking/v1 IngressBackend: exactly one of a Service or a resource. */
export type IngressBackend = { service?: IngressServiceBackend; resource?: TypedLocalObjectReference };

/** networking/v1 HTTPIngressPath: one path of a rule and where it goes. */
export type HTTPIngressPath = { path?: string; pathType: PathType; backend: IngressBackend };

/** networking/v1 IngressRule: a host (exact or `*.` wildcard; absent = every host) and its HTTP paths. */
export type IngressRule = { host?: string; http?: { paths: HTTPIngressPath[] } };

/** networking/v1 IngressTLS: the hosts a TLS Secret (type kubernetes.io/tls) covers. */
export type IngressTLS = { hosts?: string[]; secretName?: string };

/** networking/v1 IngressSpec. */
export type IngressSpec = {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  tls?: IngressTLS[];
  rules?: IngressRule[];
};

/** networking/v1 IngressLoadBalancerIngress: one address the Ingress is reachable at. */
export type IngressLoadBalancerIngress = { ip?: string; hostname?: string; ports?: Array<{ port: number; protocol: string; error?: string }> };

/** networking/v1 IngressStatus: written by the controller that serves the Ingress. */
export type IngressStatus = { loadBalancer?: { ingress?: IngressLoadBalancerIngress[] } };

/** A networking.k8s.io/v1 Ingress. */
export type Ingress = KubeObject & { spec?: IngressSpec; status?: IngressStatus };

/** networking/v1 IngressClassParametersReference: controller-specific configuration. */
export type IngressClassParametersReference = { apiGroup?: string; kind: string; name: string; scope?: string; namespace?: string };

/** networking/v1 IngressClassSpec: which controller implements the class (immutable). */
export type IngressClassSpec = { controller?: string; parameters?: IngressClassParametersReference };

/** A networking.k8s.io/v1 IngressClass (cluster-scoped). */
export type IngressClass = KubeObject & { spec?: IngressClassSpec };

/** The annotation that makes an IngressClass the default for Ingresses naming none. */
export const DEFAULT_INGRESS_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
