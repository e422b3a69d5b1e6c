/**
 * The flags a launched component (scheduler, controller-manager, later node agents, proxies)
 * gets to reach the API as its identity and to serve its metrics.
 */

/** How a launched component reaches the API and where it serves /metrics. */
export interface ComponentClientArgs {
  /** Apiserver gRPC endpoints (`--apiserver`); with a kubeconfig they override its endpoints. */
  readonly apiservers?: readonly string[];
  /** The component's kubeconfig (`--kubeconfig`): its identity. */
  readonly kubeconfig?: string;
  /** Port of its plain-HTTP /metrics on 127.0.0.1; default any free port, so replicas on one host never collide. */
  readonly metricsPort?: number;
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

/** `http://127.0.0.1:PORT/metrics` of a component given a fixed metrics port (undefined otherwise). */
export function metricsUrlOf(args: ComponentClientArgs): string | undefined {
  return args.metricsPort ? `http://127.0.0.1:${args.metricsPort}/metrics` : undefined;
}
