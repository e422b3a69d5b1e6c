/**
 * Bearer-token authentication of the HTTP API: a token file with one token per line (blank
 * lines and `#` comments ignored; a line may be `token,user` as in Kubernetes' static token
 * file, only the first field counts). Tokens are compared in constant time over their
 * SHA-256 digests.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { writeKubeconfig } from '../../../lib/client/kubeconfig';

/** Bytes of randomness in a generated token. */
const TOKEN_BYTES = 32;

/** Checks `Authorization: Bearer <token>` headers against a fixed set of tokens. */
export class BearerAuthenticator {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.filter((t) => t !== '').map(digest);
  }

  /** True when the headers carry a known bearer token. */
  authenticate(headers: IncomingHttpHeaders): boolean {
    const value = headers.authorization;
    if (typeof value !== 'string') return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
    if (!m) return false;
    const d = digest(m[1]!);
    let ok = false;
    for (const known of this.digests) ok = crypto.timingSafeEqual(d, known) || ok;
    return ok;
  }
}

function digest(token: string): Buffer {
  return crypto.createHash('sha256').update(token).digest();
}

/** The tokens in a token file (see the module comment). */
export function readTokenFile(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(',')[0]!.trim())
    .filter((t) => t !== '');
}

/**
 * The first token of the token file at `file`, making the file (mode 0600) with one new random
 * token when it does not exist.
 */
export function ensureTokenFile(file: string): string {
  if (fs.existsSync(file)) {
    const tokens = readTokenFile(file);
    if (tokens.length > 0) return tokens[0]!;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const token = crypto.randomBytes(TOKEN_BYTES).toString('base64url');
  fs.writeFileSync(file, `${token},admin\n`, { mode: 0o600 });
  return token;
}

/** What {@link writeHttpKubeconfig} needs. */
export interface HttpKubeconfigSpec {
  /** `https://127.0.0.1:PORT` or any URL of the HTTP API. */
  readonly server: string;
  /** PEM of the cluster CA. */
  readonly caCert: string;
  readonly token: string;
  /** Cluster, user and context name (default "bosun"). */
  readonly clusterName?: string;
  /** Default namespace of the context (kubectl's default is "default"). */
  readonly namespace?: string;
  /** gRPC endpoints of the apiservers, recorded in the Bosun extension for bosun's own CLI. */
  readonly grpcEndpoints?: readonly string[];
}

/** Writes a kubeconfig (mode 0600) that kubectl can use against the HTTP API. */
export function writeHttpKubeconfig(file: string, spec: HttpKubeconfigSpec): void {
  writeKubeconfig(file, {
    clusterName: spec.clusterName ?? 'bosun',
    server: spec.server,
    caData: Buffer.from(spec.caCert).toString('base64'),
    token: spec.token,
    namespace: spec.namespace,
    grpcEndpoints: [...(spec.grpcEndpoints ?? [])],
  });
}
