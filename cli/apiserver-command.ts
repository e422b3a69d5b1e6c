import { DEFAULT_AUDIT_LOG_MAX_BACKUPS, DEFAULT_AUDIT_LOG_MAX_SIZE_MB, RotatingAuditLog, type AuditSink } from '../services/apiserver/audit/audit-log';
import { readAuditPolicy, type AuditPolicy } from '../services/apiserver/audit/audit-policy';
import { readEncryptionConfig } from '../services/apiserver/encryption/encryption-config';
import { METRICS_RESOLUTION_MS } from '../services/apiserver/metrics/metrics-collector';
import { Command, Option } from 'commander';
import { parseAuthorizationModes } from '../services/apiserver/authz/api-authorization';
import * as path from 'node:path';
import { createLogger, LOG_LEVELS, type LogLevel } from '../lib/logger';
import { exitOnSignals, keepAlive } from './graceful-exit';
import { parseEndpoints, parseHostPort } from './component-flags';
import type { HttpsConfig } from '../services/apiserver/apiserver';
import { ensureTokenFile } from '../services/apiserver/http/bearer-auth';
import { ensureClusterTls, SERVING_CERT_FILE, SERVING_KEY_FILE } from '../services/apiserver/http/cluster-tls';
import { ReloadingIdentity } from '../lib/pki/reloading-identity';
import type { GrpcServerTls } from '../lib/grpc/tls';
import * as fs from 'node:fs';
import { DEFAULT_EVENT_TTL_SECONDS } from '../services/apiserver/kinds/core';
import { startApiServer } from '../services/apiserver/main';
import { parseDurationMs } from './command-support';
import { ConfigError } from '../lib/config-error';
import { serviceAccountTokenConfig } from '../services/apiserver/serviceaccount/token-keys';
import { DEFAULT_ISSUER } from '../services/apiserver/serviceaccount/token-request';
import { clientTlsFromFlags } from '../store/client/client-tls-files';

/** A repeatable flag's values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Re-exported for the commands that import them from here. */
export { parseEndpoints, parseHostPort };

/** Environment variable for an apiserver flag: --store-endpoints → BOSUN_APISERVER_STORE_ENDPOINTS. */
export function apiserverEnv(flag: string): string {
  return `BOSUN_APISERVER_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function opt(flag: string, description: string, defaultValue?: string): Option {
  const o = new Option(`--${flag} <value>`, description).env(apiserverEnv(flag));
  return defaultValue === undefined ? o : o.default(defaultValue);
}

/** --event-ttl (a duration: 1h, 30m, 1h0m0s, 90s) as whole seconds, at least 1. */
export function parseEventTtlSeconds(value: string): number {
  let ms: number;
  try {
    ms = parseDurationMs(value);
  } catch {
    throw new ConfigError(`--event-ttl: "${value}" is not a duration such as 1h, 30m or 90s`);
  }
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 1) throw new ConfigError(`--event-ttl: "${value}" is shorter than 1s`);
  return seconds;
}

/** --metric-resolution (a duration, at least 1s) in ms. */
function parseMetricResolutionMs(value: string): number {
  let ms: number;
  try {
    ms = parseDurationMs(value);
  } catch {
    throw new ConfigError(`--metric-resolution: "${value}" is not a duration such as 15s or 1m`);
  }
  if (ms < 1000) throw new ConfigError(`--metric-resolution: "${value}" is shorter than 1s`);
  return ms;
}

/** The HTTP API's configuration from the flags (the token file is made when missing). */
function httpsConfig(o: Record<string, string>): HttpsConfig {
  const tokenFile = path.resolve(o.tokenFile);
  ensureTokenFile(tokenFile);
  return { listen: parseHostPort('https-listen', o.httpsListen), certDir: path.resolve(o.certDir), tokenFile };
}

/** A boolean flag's value (`--anonymous-auth`, `--anonymous-auth=false`). */
export function parseBoolFlag(flag: string): (value: string | boolean) => boolean {
  return (value) => {
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new ConfigError(`--${flag}: "${value}" is not true or false`);
  };
}

/**
 * The client CA (PEM) of both doors: --client-ca-file, default the cluster CA in --cert-dir
 * (made at first start). A ConfigError naming the flag when the file cannot be read.
 */
function clientCa(o: Record<string, string>, certDir: string): string {
  const file = o.clientCaFile ? path.resolve(o.clientCaFile) : path.join(certDir, 'ca.crt');
  try {
    const pem = fs.readFileSync(file, 'utf8');
    if (!pem.includes('BEGIN CERTIFICATE')) throw new Error('no PEM certificate in it');
    return pem;
  } catch (err) {
    throw new ConfigError(`--client-ca-file: cannot use "${file}": ${(err as Error).message}`);
  }
}

/**
 * The gRPC door's TLS: the serving certificate of --cert-dir (the HTTPS door's) and the client
 * CA; undefined with --insecure (plain text, for tests that need it).
 */
function grpcTlsConfig(o: Record<string, string | boolean>): GrpcServerTls | undefined {
  if (o.insecure === true) return undefined;
  const certDir = path.resolve(String(o.certDir));
  const tls = ensureClusterTls(certDir);
  // The serving certificate is followed while the apiserver runs (bosun up renews it before it expires).
  const identity = ReloadingIdentity.fromFiles(path.join(certDir, SERVING_CERT_FILE), path.join(certDir, SERVING_KEY_FILE));
  return { cert: tls.cert, key: tls.key, clientCa: clientCa(o as Record<string, string>, certDir), identity };
}

/** --audit-* flags: the policy and the log, or undefined without a policy; a ConfigError naming the flag otherwise. */
function auditConfig(o: Record<string, string>): { policy: AuditPolicy; sink: AuditSink } | undefined {
  if (!o.auditPolicyFile) {
    if (o.auditLogPath) throw new ConfigError('--audit-log-path: needs --audit-policy-file (which requests to record)');
    return undefined;
  }
  if (!o.auditLogPath) throw new ConfigError('--audit-policy-file: needs --audit-log-path (where to record them)');
  const size = Number(o.auditLogMaxsize);
  if (!Number.isInteger(size) || size < 0) throw new ConfigError(`--audit-log-maxsize: "${o.auditLogMaxsize}" is not a whole number of megabytes`);
  const backups = Number(o.auditLogMaxbackup);
  if (!Number.isInteger(backups) || backups < 0) throw new ConfigError(`--audit-log-maxbackup: "${o.auditLogMaxbackup}" is not a whole number`);
  const policy = readAuditPolicy(path.resolve(o.auditPolicyFile));
  return { policy, sink: new RotatingAuditLog(o.auditLogPath === '-' ? '-' : path.resolve(o.auditLogPath), size, backups) };
}

/** `bosun apiserver`: one apiserver (stateless; run several against one store). */
export function apiserverCommand(): Command {
  return new Command('apiserver')
    .description('run an apiserver: the Kubernetes-style API over the store (gRPC, and the Kubernetes HTTP API)')
    .addOption(opt('store-endpoints', 'store (or etcd v3) client endpoints, host:port,…', '127.0.0.1:2379'))
    .addOption(opt('etcd-cafile', 'PEM CA that signed the store\'s serving certificates: TLS towards the store (Kubernetes\' flag)'))
    .addOption(opt('etcd-certfile', 'PEM client certificate presented to the store (needs --etcd-keyfile)'))
    .addOption(opt('etcd-keyfile', 'PEM private key of --etcd-certfile'))
    .addOption(opt('grpc-listen', 'host:port to serve the gRPC API on', '127.0.0.1:6444'))
    .addOption(opt('https-listen', 'host:port to serve the Kubernetes HTTP API (kubectl) on; "" turns it off', '127.0.0.1:6443'))
    .addOption(opt('cert-dir', 'directory of the cluster CA and serving certificate (made at first start)', '.bosun/pki'))
    .addOption(opt('token-file', 'bearer tokens both doors accept, "token,user,uid,\"group,…\"" per line (made with one token when missing; used without the HTTP API only when given)', '.bosun/tokens.csv'))
    .addOption(new Option('--insecure', 'serve the gRPC API in plain text (for tests that need it); by default it is TLS with the serving certificate of --cert-dir').env(apiserverEnv('insecure')))
    .addOption(opt('client-ca-file', 'PEM CA whose client certificates authenticate callers on both doors (CN = user, O = groups); default: ca.crt of --cert-dir'))
    .addOption(
      new Option('--anonymous-auth [enabled]', 'treat requests without credentials as system:anonymous, which reaches only /healthz, /livez, /readyz, /version and gRPC health/reflection (off: they are refused with 401 / UNAUTHENTICATED)')
        .argParser(parseBoolFlag('anonymous-auth'))
        .default(false)
        .env(apiserverEnv('anonymous-auth')),
    )
    .addOption(opt('event-ttl', `how long an Event is kept after its last write, e.g. 1h, 30m (default ${DEFAULT_EVENT_TTL_SECONDS}s)`))
    .addOption(opt('metric-resolution', 'how often the metrics API (metrics.k8s.io) scrapes nodes at most, e.g. 15s (metrics-server\'s flag)', `${METRICS_RESOLUTION_MS / 1000}s`))
    .addOption(
      new Option(
        '--authorization-mode <modes>',
        'AlwaysAllow, or a comma list of Node and RBAC tried in order (e.g. Node,RBAC): Node lets each node agent reach only its own Node, Lease, pods and what they use (and turns NodeRestriction admission on); RBAC checks the cluster\'s roles and bindings (members of system:masters pass)',
      )
        .default('AlwaysAllow')
        .env(apiserverEnv('authorization-mode')),
    )
    .addOption(opt('encryption-provider-config', 'an EncryptionConfiguration file (apiserver.config.k8s.io/v1): the resources encrypted at rest (e.g. secrets) with aesgcm/aescbc keys'))
    .addOption(opt('audit-policy-file', 'an audit.k8s.io/v1 Policy: which requests the audit log records, at which level'))
    .addOption(opt('audit-log-path', 'where audit events go, one JSON line each ("-": standard output); needs --audit-policy-file'))
    .addOption(opt('audit-log-maxsize', 'megabytes an audit log file grows to before it is rotated', String(DEFAULT_AUDIT_LOG_MAX_SIZE_MB)))
    .addOption(opt('audit-log-maxbackup', 'rotated audit log files kept (0: all)', String(DEFAULT_AUDIT_LOG_MAX_BACKUPS)))
    .addOption(opt('service-account-signing-key-file', 'PEM private key (P-256 EC or RSA) that signs ServiceAccount tokens (the serviceaccounts/token subresource)'))
    .addOption(new Option('--service-account-key-file <file>', 'PEM public keys ServiceAccount tokens are verified with (repeatable; default: the signing key\'s public half)').argParser(collect).default([]))
    .addOption(opt('service-account-issuer', 'the "iss" of ServiceAccount tokens, and the only one accepted', DEFAULT_ISSUER))
    .addOption(opt('api-audiences', 'audiences a token must name one of, comma-separated (default: the issuer)'))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]).default('info').env(apiserverEnv('log-level')))
    .action(async (o: Record<string, string>, cmd: Command) => {
      const logger = createLogger('apiserver', o.logLevel as LogLevel);
      const audit = auditConfig(o);
      const storeTls = clientTlsFromFlags({
        ca: { flag: 'etcd-cafile', file: o.etcdCafile },
        cert: { flag: 'etcd-certfile', file: o.etcdCertfile },
        key: { flag: 'etcd-keyfile', file: o.etcdKeyfile },
      });
      const encryption = o.encryptionProviderConfig ? readEncryptionConfig(path.resolve(o.encryptionProviderConfig)) : undefined;
      // Without the HTTPS door, a token file named explicitly (flag or env) still authenticates gRPC calls.
      const grpcTokenFile = !o.httpsListen && cmd.getOptionValueSource('tokenFile') !== 'default' ? path.resolve(o.tokenFile) : undefined;
      if (grpcTokenFile) ensureTokenFile(grpcTokenFile);
      const grpcTls = grpcTlsConfig(o);
      if (o.httpsListen) ensureClusterTls(path.resolve(o.certDir)); // the CA exists before the client CA defaults to it
      keepAlive(); // while the store is not reachable yet, nothing else holds the process
      const server = await startApiServer(
        {
          storeEndpoints: parseEndpoints('store-endpoints', o.storeEndpoints),
          storeTls,
          grpcListen: parseHostPort('grpc-listen', o.grpcListen),
          https: o.httpsListen ? httpsConfig(o) : undefined,
          tokenFile: grpcTokenFile,
          grpcTls,
          clientCaCert: o.httpsListen ? clientCa(o, path.resolve(o.certDir)) : undefined,
          anonymousAuth: (o as Record<string, unknown>).anonymousAuth === true,
          eventTtlSeconds: o.eventTtl ? parseEventTtlSeconds(o.eventTtl) : undefined,
          authorizationMode: parseAuthorizationModes(o.authorizationMode),
          encryption,
          audit,
          metricsResolutionMs: parseMetricResolutionMs(o.metricResolution),
          serviceAccountTokens: serviceAccountTokenConfig({
            signingKeyFile: o.serviceAccountSigningKeyFile ? path.resolve(o.serviceAccountSigningKeyFile) : undefined,
            keyFiles: (o.serviceAccountKeyFile as unknown as string[]).map((f) => path.resolve(f)),
            issuer: o.serviceAccountIssuer,
            apiAudiences: o.apiAudiences ? o.apiAudiences.split(',').map((a) => a.trim()).filter((a) => a !== '') : undefined,
          }),
        },
        logger,
      );
      exitOnSignals(logger, () => server.stop());
    });
}
