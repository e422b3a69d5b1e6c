/**
 * Flags the components share (one CLI module for them, not one command importing another's):
 * the environment variable of each flag, host:port endpoints, the three leader-election
 * durations with Kubernetes' defaults, how a component reaches the API as its own identity
 * (`--kubeconfig`, `--apiserver`) and where it serves its metrics (`--metrics-address`).
 */
import { Option } from 'commander';
import * as fs from 'node:fs';
import type { GrpcClientTls, GrpcServerTls } from '../lib/grpc/tls';
import { KubeconfigError } from '../lib/client/kubeconfig';
import { connectionTls, serviceConnection } from '../lib/client/kubeconfig-client';
import type { Logger } from '../lib/logger';
import { MetricsServer, newMetricsRegistry, type Registry } from '../lib/metrics';
import { ConfigError } from '../lib/config-error';
import { followedIdentityOfFlags } from '../lib/pki/pem-file';

/** Environment variable of a component's flag: ('scheduler', 'apiserver') → BOSUN_SCHEDULER_APISERVER. */
export function componentEnv(component: string, flag: string): string {
  return `BOSUN_${component.toUpperCase().replace(/-/g, '_')}_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** host:port, or ConfigError naming the flag. */
export function parseHostPort(flag: string, value: string): string {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value.trim());
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`--${flag}: "${value}" is not host:port`);
  return value.trim();
}

/** A comma-separated list of host:port (http:// prefixes, as etcd clients write them, are accepted). */
export function parseEndpoints(flag: string, value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim().replace(/^https?:\/\//, ''))
    .filter((s) => s !== '');
  if (list.length === 0) throw new ConfigError(`--${flag}: no endpoints given`);
  return list.map((e) => parseHostPort(flag, e));
}

/** A duration flag in seconds, as a positive number of milliseconds. */
export function secondsFlag(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`--${flag}: "${value}" is not a positive number of seconds`);
  return Math.round(n * 1000);
}

/** The leader-election flags of `component` (Kubernetes' defaults: 15 s, 10 s, 2 s). */
export function leaderElectionOptions(component: string): Option[] {
  const opt = (flag: string, description: string, defaultValue: string) => new Option(`--${flag} <value>`, description).env(componentEnv(component, flag)).default(defaultValue);
  return [
    opt('leader-elect-lease-duration', 'seconds a lease is valid without renewal', '15'),
    opt('leader-elect-renew-deadline', 'seconds the leader tries to renew before it steps down', '10'),
    opt('leader-elect-retry-period', 'seconds between attempts to acquire or renew', '2'),
  ];
}

/** The leader-election durations parsed from the options of {@link leaderElectionOptions}. */
export function leaderElectionDurations(o: Record<string, string>): { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number } {
  return {
    leaseDurationMs: secondsFlag('leader-elect-lease-duration', o.leaderElectLeaseDuration!),
    renewDeadlineMs: secondsFlag('leader-elect-renew-deadline', o.leaderElectRenewDeadline!),
    retryPeriodMs: secondsFlag('leader-elect-retry-period', o.leaderElectRetryPeriod!),
  };
}

/**
 * The serving-TLS flags of `component`'s gRPC status API (Kubernetes' names): `--tls-cert-file`
 * and `--tls-private-key-file`, PEM, e.g. issued by the cluster CA (`bosun up` does), and
 * `--insecure`, the only way to serve it in plain text (for tests that need it).
 */
export function servingTlsOptions(component: string): Option[] {
  return [
    new Option('--tls-cert-file <file>', 'PEM serving certificate of the gRPC status API, e.g. from the cluster CA (clients: grpcurl -cacert ca.crt); required unless --insecure').env(componentEnv(component, 'tls-cert-file')),
    new Option('--tls-private-key-file <file>', 'PEM private key of --tls-cert-file').env(componentEnv(component, 'tls-private-key-file')),
    new Option('--insecure [bool]', 'serve the gRPC status API in plain text, with no TLS: for tests only').default('false').env(componentEnv(component, 'insecure')),
  ];
}

/** `--insecure` of {@link servingTlsOptions}: given bare (true), or "true" / "false"; a ConfigError otherwise. */
function insecureFlag(value: unknown): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false' || value === undefined) return false;
  throw new ConfigError(`--insecure: "${String(value)}" must be "true" or "false"`);
}

/**
 * The serving TLS of a status API listening on `grpcListen`, from the flags of
 * {@link servingTlsOptions}. Undefined (plain text) only with an explicit `--insecure`, or when
 * there is no gRPC server (`grpcListen` ""). A ConfigError naming the flag when neither
 * certificate flags nor `--insecure` are given, when `--insecure` comes with a certificate
 * flag, when one file is given without the other, or when a file cannot be read. Call it
 * before starting anything, so a bad configuration starts nothing.
 */
export function servingTlsOf(o: Readonly<Record<string, unknown>>, grpcListen: string): GrpcServerTls | undefined {
  const certFile = typeof o.tlsCertFile === 'string' ? o.tlsCertFile : '';
  const keyFile = typeof o.tlsPrivateKeyFile === 'string' ? o.tlsPrivateKeyFile : '';
  const insecure = insecureFlag(o.insecure);
  if (insecure && (certFile || keyFile)) throw new ConfigError(`--insecure: cannot be combined with --${certFile ? 'tls-cert-file' : 'tls-private-key-file'} (plain text has no certificates)`);
  if (insecure || grpcListen === '') return undefined;
  if (!certFile && !keyFile) throw new ConfigError('--tls-cert-file, --tls-private-key-file: required for the TLS gRPC status API (or --insecure for plain text, --grpc-listen "" for none)');
  if (!certFile) throw new ConfigError('--tls-private-key-file: needs --tls-cert-file');
  if (!keyFile) throw new ConfigError('--tls-cert-file: needs --tls-private-key-file');
  const read = (flag: string, file: string): string => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`--${flag}: cannot read "${file}": ${(err as Error).message}`);
    }
  };
  const cert = read('tls-cert-file', certFile);
  const key = read('tls-private-key-file', keyFile);
  // The files are followed while the component runs: a renewed certificate serves new connections.
  const identity = followedIdentityOfFlags({ flag: 'tls-cert-file', file: certFile }, { flag: 'tls-private-key-file', file: keyFile });
  return { cert, key, identity };
}

/** The apiserver endpoints a component dials without --kubeconfig or --apiserver. */
export const DEFAULT_APISERVER_ENDPOINTS = '127.0.0.1:6444';

/**
 * The API client flags of `component`: `--kubeconfig <file>` (endpoints and the bearer token of
 * its identity from the file's current context) and `--apiserver host:port,…` (overrides the
 * endpoints; default 127.0.0.1:6444 without a kubeconfig). Both also as environment variables.
 */
export function apiClientOptions(component: string): Option[] {
  return [
    new Option('--apiserver <value>', `apiserver gRPC endpoints, host:port,… (default: the kubeconfig's, else ${DEFAULT_APISERVER_ENDPOINTS})`).env(componentEnv(component, 'apiserver')),
    new Option('--kubeconfig <file>', "kubeconfig with this component's identity: apiserver endpoints and bearer token").env(componentEnv(component, 'kubeconfig')),
  ];
}

/** How a component reaches the API: endpoints, the token of its identity when it has one, and TLS (the kubeconfig's CA and client certificate). */
export interface ApiConnectionFlags {
  readonly endpoints: string[];
  readonly token?: string;
  readonly tls?: GrpcClientTls;
}

/**
 * The connection from the options of {@link apiClientOptions}. A kubeconfig that is missing,
 * unparsable or names no usable cluster is a ConfigError naming the file.
 */
export function apiConnectionOf(o: Record<string, string | undefined>): ApiConnectionFlags {
  const explicit = o.apiserver ? parseEndpoints('apiserver', o.apiserver) : undefined;
  if (!o.kubeconfig) return { endpoints: explicit ?? parseEndpoints('apiserver', DEFAULT_APISERVER_ENDPOINTS) };
  try {
    const conn = serviceConnection(o.kubeconfig, explicit);
    const tls = connectionTls(conn);
    return { endpoints: conn.endpoints, ...(conn.token ? { token: conn.token } : {}), ...(tls ? { tls } : {}) };
  } catch (err) {
    if (err instanceof KubeconfigError) throw new ConfigError(`--kubeconfig: ${err.message.replace(/^error: /, '')}`);
    throw err;
  }
}

/**
 * `--metrics-address host:port` of `component`: where it serves `GET /metrics` (and
 * `/healthz`) over plain HTTP; "" turns the endpoint off, port 0 takes any free port.
 */
export function metricsOption(component: string, defaultAddress: string): Option {
  return new Option('--metrics-address <value>', 'host:port of the plain-HTTP /metrics and /healthz endpoint; "" turns it off, port 0 takes any free port')
    .env(componentEnv(component, 'metrics-address'))
    .default(defaultAddress);
}

/** A component's metrics: its registry and, unless turned off, the endpoint serving it. */
export interface ComponentMetrics {
  readonly registry: Registry;
  readonly server?: MetricsServer;
  close(): Promise<void>;
}

/** Makes the component's registry and serves it on `--metrics-address` (see {@link metricsOption}). */
export async function startComponentMetrics(o: Record<string, string | undefined>, logger: Logger): Promise<ComponentMetrics> {
  const registry = newMetricsRegistry();
  if (!o.metricsAddress) return { registry, close: async () => undefined };
  let server: MetricsServer;
  try {
    server = await MetricsServer.start(registry, parseHostPort('metrics-address', o.metricsAddress));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`--metrics-address: ${(err as Error).message}`);
  }
  logger.info({ metrics: server.url }, 'serving metrics');
  return { registry, server, close: () => server.close() };
}
