/**
 * Kubernetes kubeconfig files as Bosun reads and writes them: `clusters`, `users`, `contexts`
 * and `current-context`, plus a Bosun extension on the cluster naming the apiserver's gRPC
 * endpoints (kubectl ignores extensions it does not know):
 *
 *   clusters:
 *   - name: bosun-local
 *     cluster:
 *       server: https://127.0.0.1:6443
 *       extensions:
 *       - name: bosun.dev/grpc
 *         extension:
 *           endpoints: ["127.0.0.1:6444"]
 *
 * Also the resolution of which file and which endpoints a CLI invocation uses.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/** Name of the cluster extension that carries the gRPC endpoints. */
export const GRPC_EXTENSION_NAME = 'bosun.dev/grpc';

/** Where `npm start` (bosun up) writes the local cluster's kubeconfig, relative to the working directory. */
export const LOCAL_KUBECONFIG_PATH = path.join('.data', 'local', 'kubeconfig');

/** The message when no cluster can be found. */
export const NO_CLUSTER_MESSAGE = 'bosun: no cluster configured: start one with "npm start", or pass --server / --kubeconfig';

/** A kubeconfig problem (missing file, bad YAML, unknown context); the message is user-facing. */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

/** A named extension (kubeconfig `NamedExtension`). */
export interface NamedExtension {
  name: string;
  extension: unknown;
}

/** One cluster entry. */
export interface KubeconfigCluster {
  name: string;
  cluster: {
    server?: string;
    'certificate-authority-data'?: string;
    'insecure-skip-tls-verify'?: boolean;
    extensions?: NamedExtension[];
  };
}

/** One user entry (Bosun reads the bearer token and the client certificate). */
export interface KubeconfigUser {
  name: string;
  user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string };
}

/** One context entry. */
export interface KubeconfigContext {
  name: string;
  context: { cluster: string; user?: string; namespace?: string };
}

/** A kubeconfig (`apiVersion: v1`, `kind: Config`). */
export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: KubeconfigCluster[];
  users: KubeconfigUser[];
  contexts: KubeconfigContext[];
  'current-context': string;
  preferences?: Record<string, unknown>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function named<T>(v: unknown, what: string, file: string): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new KubeconfigError(`error loading config file "${file}": ${what} must be a list`);
  return v.filter((e): e is T => isRecord(e) && typeof e.name === 'string');
}

/** Parses kubeconfig YAML; `file` names the source in errors. */
export function parseKubeconfig(text: string, file: string): Kubeconfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new KubeconfigError(`error loading config file "${file}": ${err instanceof Error ? err.message : String(err)}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isRecord(doc)) throw new KubeconfigError(`error loading config file "${file}": not a kubeconfig (expected a mapping)`);
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: named<KubeconfigCluster>(doc.clusters, 'clusters', file).map((c) => ({ name: c.name, cluster: isRecord(c.cluster) ? c.cluster : {} })),
    users: named<KubeconfigUser>(doc.users, 'users', file).map((u) => ({ name: u.name, user: isRecord(u.user) ? u.user : {} })),
    contexts: named<KubeconfigContext>(doc.contexts, 'contexts', file).map((c) => ({
      name: c.name,
      context: isRecord(c.context) ? (c.context as KubeconfigContext['context']) : { cluster: '' },
    })),
    'current-context': typeof doc['current-context'] === 'string' ? doc['current-context'] : '',
  };
}

/** Reads and parses the kubeconfig at `file`. */
export function readKubeconfig(file: string): Kubeconfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KubeconfigError(
      code === 'ENOENT' ? `error loading config file "${file}": no such file` : `error loading config file "${file}": ${(err as Error).message}`,
    );
  }
  return parseKubeconfig(text, file);
}

/** What {@link writeKubeconfig} needs to describe one cluster. */
export interface KubeconfigSpec {
  /** Name of the cluster; the context gets the same name, and the user too unless `userName` is set. */
  clusterName: string;
  /** Name of the user entry (e.g. `system:kube-scheduler` in a component's kubeconfig). */
  userName?: string;
  /** `https://host:port` of a Kubernetes-style HTTP front door, when there is one. */
  server?: string;
  /** Base64 PEM of the CA that signed the server's certificate. */
  caData?: string;
  /** Bearer token of the user. */
  token?: string;
  /** PEM of the user's client certificate and key (written base64, as client-certificate-data / client-key-data). */
  clientCert?: string;
  clientKey?: string;
  /** `host:port` of each apiserver's gRPC endpoint. */
  grpcEndpoints: string[];
  /** Default namespace of the context. */
  namespace?: string;
}

/** A kubeconfig with one cluster, one user and one current context, named `clusterName` (the user `userName` when set). */
export function buildKubeconfig(spec: KubeconfigSpec): Kubeconfig {
  const cluster: KubeconfigCluster['cluster'] = {};
  if (spec.server) cluster.server = spec.server;
  if (spec.caData) cluster['certificate-authority-data'] = spec.caData;
  cluster.extensions = [{ name: GRPC_EXTENSION_NAME, extension: { endpoints: [...spec.grpcEndpoints] } }];
  const userName = spec.userName ?? spec.clusterName;
  const context: KubeconfigContext['context'] = { cluster: spec.clusterName, user: userName };
  if (spec.namespace) context.namespace = spec.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.clusterName, cluster }],
    users: [{ name: userName, user: userEntry(spec) }],
    contexts: [{ name: spec.clusterName, context }],
    'current-context': spec.clusterName,
    preferences: {},
  };
}

/** A user's credentials as a kubeconfig writes them: the token and/or the client certificate (base64 PEM). */
function userEntry(spec: KubeconfigSpec): KubeconfigUser['user'] {
  const user: KubeconfigUser['user'] = {};
  if (spec.clientCert && spec.clientKey) {
    user['client-certificate-data'] = Buffer.from(spec.clientCert).toString('base64');
    user['client-key-data'] = Buffer.from(spec.clientKey).toString('base64');
  }
  if (spec.token) user.token = spec.token;
  return user;
}

/** Serializes a kubeconfig as YAML (sequences unindented, as kubectl writes them). */
export function stringifyKubeconfig(config: Kubeconfig): string {
  return stringifyYaml(config, { indentSeq: false, lineWidth: 0 });
}

/**
 * Writes a kubeconfig for one cluster to `file` (directories created, mode 0600, replaced
 * atomically). Called by `npm start` once the local cluster's apiservers listen.
 */
export function writeKubeconfig(file: string, spec: KubeconfigSpec): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, stringifyKubeconfig(buildKubeconfig(spec)), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The gRPC endpoints a cluster entry names in its Bosun extension (empty when none). */
export function grpcEndpointsOf(cluster: KubeconfigCluster['cluster']): string[] {
  for (const ext of cluster.extensions ?? []) {
    if (!isRecord(ext) || ext.name !== GRPC_EXTENSION_NAME || !isRecord(ext.extension)) continue;
    const eps = ext.extension.endpoints;
    if (Array.isArray(eps)) return eps.filter((e): e is string => typeof e === 'string' && e !== '');
  }
  return [];
}

/**
 * The gRPC endpoints of a cluster entry: its Bosun extension's, else its `server` when that is
 * a gRPC address (`grpc://host:port`, as a kubeconfig written for gRPC-only apiservers names
 * it); empty when neither (an `https://` server is the Kubernetes HTTP API, not gRPC).
 */
export function clusterGrpcEndpoints(cluster: KubeconfigCluster['cluster']): string[] {
  const fromExtension = grpcEndpointsOf(cluster);
  if (fromExtension.length > 0) return fromExtension;
  const server = typeof cluster.server === 'string' ? cluster.server : '';
  const m = /^grpc:\/\/([^/\s]+?)\/?$/.exec(server);
  return m ? [m[1]!] : [];
}

/** Where the kubeconfig came from. */
export type KubeconfigSource = '--kubeconfig' | 'BOSUN_KUBECONFIG' | 'KUBECONFIG' | 'local' | 'home';

/** Inputs of the resolution (all injectable for tests). */
export interface ResolveInputs {
  /** `--kubeconfig`. */
  kubeconfig?: string;
  /** `--server host:port[,host:port]`. */
  server?: string;
  /** `--context`. */
  context?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Working directory (for `./.data/local/kubeconfig`); default process.cwd(). */
  cwd?: string;
  /** Home directory (for `~/.kube/config`); default $HOME, then os.homedir(). */
  home?: string;
  /** File existence check; default fs.existsSync. */
  exists?: (file: string) => boolean;
}

/**
 * The kubeconfig file to use: `--kubeconfig` > `BOSUN_KUBECONFIG` > the first file of
 * `KUBECONFIG` > `./.data/local/kubeconfig` when it exists > `~/.kube/config` when it exists.
 * Explicitly named files are returned even when missing (reading them then fails clearly).
 */
export function resolveKubeconfigPath(inputs: ResolveInputs): { file: string; source: KubeconfigSource } | undefined {
  const exists = inputs.exists ?? fs.existsSync;
  const cwd = inputs.cwd ?? process.cwd();
  if (inputs.kubeconfig) return { file: path.resolve(cwd, inputs.kubeconfig), source: '--kubeconfig' };
  const bosun = inputs.env.BOSUN_KUBECONFIG;
  if (bosun) return { file: path.resolve(cwd, bosun), source: 'BOSUN_KUBECONFIG' };
  const kube = (inputs.env.KUBECONFIG ?? '').split(path.delimiter).find((f) => f !== '');
  if (kube) return { file: path.resolve(cwd, kube), source: 'KUBECONFIG' };
  const local = path.resolve(cwd, LOCAL_KUBECONFIG_PATH);
  if (exists(local)) return { file: local, source: 'local' };
  const home = inputs.home ?? inputs.env.HOME ?? os.homedir();
  const homeFile = path.join(home, '.kube', 'config');
  if (exists(homeFile)) return { file: homeFile, source: 'home' };
  return undefined;
}

/** A resolved connection: where to dial and the context's defaults. */
export interface Connection {
  /** gRPC `host:port` endpoints of the apiservers (at least one). */
  endpoints: string[];
  /** The context's namespace, when it names one. */
  namespace?: string;
  /** The context used ('' when only --server was given). */
  contextName: string;
  /** The cluster's `server` URL, when set. */
  server?: string;
  caData?: string;
  token?: string;
  /** PEM of the user's client certificate and key, when the kubeconfig gives them. */
  clientCert?: string;
  clientKey?: string;
  /** The kubeconfig file read, when one was. */
  file?: string;
  /** Act as this user and these groups (kubectl's --as / --as-group). */
  impersonate?: { user: string; groups: string[] };
}

/** Splits and checks `--server host:port[,host:port]`. */
export function parseServerFlag(server: string): string[] {
  const eps = server
    .split(',')
    .map((s) => s.trim().replace(/^(grpc|https?):\/\//, ''))
    .filter((s) => s !== '');
  if (eps.length === 0) throw new KubeconfigError(`invalid --server "${server}": expected host:port[,host:port]`);
  for (const ep of eps) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s]+):(\d{1,5})$/.exec(ep);
    if (!m || Number(m[2]) > 65535 || Number(m[2]) === 0) throw new KubeconfigError(`invalid --server "${server}": "${ep}" is not host:port`);
  }
  return eps;
}

/**
 * The connection of one CLI invocation: the kubeconfig (see {@link resolveKubeconfigPath}),
 * its current context or `--context`, and `--server` overriding the endpoints. Throws
 * KubeconfigError with {@link NO_CLUSTER_MESSAGE} when there is nothing to connect to.
 */
export function resolveConnection(inputs: ResolveInputs): Connection {
  const override = inputs.server ? parseServerFlag(inputs.server) : undefined;
  const found = resolveKubeconfigPath(inputs);
  if (!found) {
    if (inputs.context) throw new KubeconfigError(`error: context "${inputs.context}" does not exist`);
    if (override) return { endpoints: override, contextName: '' };
    throw new KubeconfigError(NO_CLUSTER_MESSAGE);
  }
  const config = readKubeconfig(found.file);
  const contextName = inputs.context || config['current-context'];
  if (!contextName) {
    if (override) return { endpoints: override, contextName: '', file: found.file };
    throw new KubeconfigError(`error: no current context is set in "${found.file}"; pass --context`);
  }
  const ctx = config.contexts.find((c) => c.name === contextName);
  if (!ctx) throw new KubeconfigError(`error: context "${contextName}" does not exist in "${found.file}"`);
  const cluster = config.clusters.find((c) => c.name === ctx.context.cluster);
  if (!cluster && !override) {
    throw new KubeconfigError(`error: cluster "${ctx.context.cluster}" of context "${contextName}" does not exist in "${found.file}"`);
  }
  const user = config.users.find((u) => u.name === ctx.context.user);
  const endpoints = override ?? clusterGrpcEndpoints(cluster!.cluster);
  if (endpoints.length === 0) {
    throw new KubeconfigError(
      `error: cluster "${ctx.context.cluster}" in "${found.file}" has no ${GRPC_EXTENSION_NAME} endpoints and no grpc:// server; pass --server host:port`,
    );
  }
  const conn: Connection = { endpoints, contextName, file: found.file };
  if (ctx.context.namespace) conn.namespace = ctx.context.namespace;
  if (cluster?.cluster.server) conn.server = cluster.cluster.server;
  if (cluster?.cluster['certificate-authority-data']) conn.caData = cluster.cluster['certificate-authority-data'];
  if (user?.user.token) conn.token = user.user.token;
  const certData = user?.user['client-certificate-data'];
  const keyData = user?.user['client-key-data'];
  if (typeof certData === 'string' && typeof keyData === 'string') {
    conn.clientCert = Buffer.from(certData, 'base64').toString('utf8');
    conn.clientKey = Buffer.from(keyData, 'base64').toString('utf8');
  }
  return conn;
}
