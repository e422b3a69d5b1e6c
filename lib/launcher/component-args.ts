/**
 * The flags a launched component (scheduler, controller-manager, later node agents, proxies)
 * gets to reach the API as its identity and to serve its metrics.
 */

import * as path from 'node:path';
import { ensureComponentCert } from '../pki/component-certs';
import type { GrpcClientTls } from '../grpc/tls';

/** TLS of a launched component's gRPC status API: its serving certificate's files and the CA its callers check it against. */
export interface ComponentServingTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** PEM of the CA that issued the certificate. */
  readonly caCert: string;
}

/**
 * The serving certificate of `component`'s status API, issued (or reused) by the cluster CA in
 * `caDir` as `serving-<component>.crt/.key`, naming 127.0.0.1, localhost and the component.
 */
export function componentServingTls(caDir: string, component: string): ComponentServingTls {
  const name = `serving-${component.toLowerCase()}`;
  const issued = ensureComponentCert(caDir, { name, commonName: component, usage: 'server', hosts: ['127.0.0.1', 'localhost', component.toLowerCase()] });
  return { certFile: path.join(caDir, `${name}.crt`), keyFile: path.join(caDir, `${name}.key`), caCert: issued.caCert };
}

/** What a caller of a status API served with `tls` needs (undefined: plain text). */
export function statusTlsOf(tls: ComponentServingTls | undefined): GrpcClientTls | undefined {
  return tls ? { caCert: tls.caCert } : undefined;
}

/** How a launched component reaches the API and where it serves /metrics. */
export interface ComponentClientArgs {
  /** Apiserver gRPC endpoints (`--apiserver`); with a kubeconfig they override its endpoints. */
  readonly apiservers?: readonly string[];
  /** The component's kubeconfig (`--kubeconfig`): its identity. */
  readonly kubeconfig?: string;
  /** Port of its plain-HTTP /metrics on 127.0.0.1; default any free port, so replicas on one host never collide. */
  readonly metricsPort?: number;
  /** TLS of its gRPC status API (`--tls-cert-file`, `--tls-private-key-file`); without, a component with a status API runs `--insecure` (see {@link statusServingFlags}). */
  readonly servingTls?: ComponentServingTls;
}

/** The command-line flags for `args`. */
export function componentClientFlags(args: ComponentClientArgs): string[] {
  return [
    ...(args.apiservers && args.apiservers.length > 0 ? ['--apiserver', args.apiservers.join(',')] : []),
    ...(args.kubeconfig ? ['--kubeconfig', args.kubeconfig] : []),
    '--metrics-address',
    `127.0.0.1:${args.metricsPort ?? 0}`,
  ];
}

/**
 * The flags of a launched component's gRPC status API: its serving certificate when `tls` is
 * given, else an explicit `--insecure` (plain text), since a status API needs one or the other.
 * Only for components with a status API (not the controller-manager).
 */
export function statusServingFlags(tls: ComponentServingTls | undefined): string[] {
  return tls ? ['--tls-cert-file', tls.certFile, '--tls-private-key-file', tls.keyFile] : ['--insecure'];
}

/** `http://127.0.0.1:PORT/metrics` of a component given a fixed metrics port (undefined otherwise). */
export function metricsUrlOf(args: ComponentClientArgs): string | undefined {
  return args.metricsPort ? `http://127.0.0.1:${args.metricsPort}/metrics` : undefined;
}
