/**
 * Bearer-token authentication of both API doors: a token file in Kubernetes' static token
 * format, one `token,user,uid,"group1,group2"` per line (user, uid and groups optional; blank
 * lines and `#` comments ignored). Tokens are compared in constant time over their SHA-256
 * digests. An authenticated user is also in `system:authenticated`, as in Kubernetes.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { writeKubeconfig } from '../../../lib/client/kubeconfig';
import { AUTHENTICATED_GROUP, type UserInfo } from '../authn/request-user';
import { bearerToken } from '../authn/token-authenticator';

/** Bytes of randomness in a generated token. */
const TOKEN_BYTES = 32;

/** The user of a token line that names none (Bosun's first token files held bare tokens). */
export const UNNAMED_TOKEN_USER = 'token-user';

/** The user `ensureTokenFile` makes the first token for (Kubernetes' admin group). */
export const ADMIN_USER: UserInfo = { name: 'admin', uid: 'admin', groups: ['system:masters'] };

/** One line of a token file. */
export interface TokenEntry {
  readonly token: string;
  readonly user: UserInfo;
}

/** The fields of a CSV line (double quotes group commas, as in Kubernetes' token file). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      fields.push(field.trim());
      field = '';
    } else field += ch;
  }
  fields.push(field.trim());
  return fields;
}

/** A token line as a TokenEntry (undefined for a line without a token). */
export function parseTokenLine(line: string): TokenEntry | undefined {
  const [token = '', name = '', uid = '', groups = ''] = csvFields(line);
  if (token === '') return undefined;
  const user: UserInfo = {
    name: name || UNNAMED_TOKEN_USER,
    ...(uid ? { uid } : {}),
    groups: groups.split(',').map((g) => g.trim()).filter((g) => g !== ''),
  };
  return { token, user };
}

/** The line of a token file for `entry` (groups quoted). */
export function formatTokenLine(entry: TokenEntry): string {
  const groups = entry.user.groups.length > 0 ? `,"${entry.user.groups.join(',')}"` : '';
  return `${entry.token},${entry.user.name},${entry.user.uid ?? entry.user.name}${groups}`;
}

/** Checks bearer tokens (an `Authorization: Bearer <token>` value) against a fixed set of tokens. */
export class BearerAuthenticator {
  private entries: { digest: Buffer; user: UserInfo }[] = [];

  /** Bare strings are tokens of {@link UNNAMED_TOKEN_USER}. */
  constructor(tokens: readonly (string | TokenEntry)[]) {
    this.replace(tokens);
  }

  /** Authenticates `tokens` from now on instead (the token file changed: a node joined). */
  replace(tokens: readonly (string | TokenEntry)[]): void {
    this.entries = tokens
      .map((t) => (typeof t === 'string' ? { token: t, user: { name: UNNAMED_TOKEN_USER, groups: [] } } : t))
      .filter((e) => e.token !== '')
      .map((e) => ({ digest: digest(e.token), user: { ...e.user, groups: [...new Set([...e.user.groups, AUTHENTICATED_GROUP])] } }));
  }

  /** True when the headers carry a known bearer token. */
  authenticate(headers: IncomingHttpHeaders): boolean {
    return this.userOf(headers.authorization) !== undefined;
  }

  /**
   * The user of an `Authorization` value (`Bearer <token>`, scheme case-insensitive);
   * undefined when it is absent, not a bearer token, or an unknown token.
   */
  userOf(authorization: string | undefined): UserInfo | undefined {
    const token = bearerToken(authorization);
    if (token === undefined) return undefined;
    const d = digest(token);
    let found: UserInfo | undefined;
    // Every entry is compared, so the time taken does not tell which one matched.
    for (const e of this.entries) if (crypto.timingSafeEqual(d, e.digest) && !found) found = e.user;
    return found;
  }
}

function digest(token: string): Buffer {
  // The one-shot hash: every request of every component is authenticated, and it costs half of a Hash object.
  return crypto.hash('sha256', token, 'buffer');
}

/** The entries of a token file (see the module comment). */
export function readTokenEntries(file: string): TokenEntry[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map(parseTokenLine)
    .filter((e): e is TokenEntry => e !== undefined);
}

/** The tokens in a token file (see the module comment). */
export function readTokenFile(file: string): string[] {
  return readTokenEntries(file).map((e) => e.token);
}

/** A new random token. */
export function newToken(): string {
  return crypto.randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * The first token of the token file at `file`, making the file (mode 0600) with one new random
 * token for {@link ADMIN_USER} when it does not exist.
 */
export function ensureTokenFile(file: string): string {
  if (fs.existsSync(file)) {
    const tokens = readTokenFile(file);
    if (tokens.length > 0) return tokens[0]!;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const token = newToken();
  fs.writeFileSync(file, `${formatTokenLine({ token, user: ADMIN_USER })}\n`, { mode: 0o600 });
  return token;
}

/**
 * Puts the admin token of an older token file (its first line, user "admin" with no groups) in
 * system:masters, as files made now are: under RBAC an admin outside it could do nothing.
 * Other lines, and a file whose first user is someone else, stay as they are.
 */
export function ensureAdminIsMaster(file: string): void {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const entry = i < 0 ? undefined : parseTokenLine(lines[i]!.trim());
  if (!entry || entry.user.name !== ADMIN_USER.name || entry.user.groups.length > 0) return;
  lines[i] = formatTokenLine({ token: entry.token, user: ADMIN_USER });
  fs.writeFileSync(file, lines.join('\n'), { mode: 0o600 });
}

/**
 * The token of user `user.name` in the token file at `file` (which must exist, see
 * ensureTokenFile), appending a new random token for `user` when the file has none for it —
 * so a cluster made before its components had identities gains them on its next start.
 */
export function ensureUserToken(file: string, user: UserInfo): string {
  const existing = readTokenEntries(file).find((e) => e.user.name === user.name);
  if (existing) return existing.token;
  const token = newToken();
  const text = fs.readFileSync(file, 'utf8');
  fs.appendFileSync(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}${formatTokenLine({ token, user })}\n`);
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
  /** Name of the user entry when it differs from the cluster's (a component's identity). */
  readonly userName?: string;
  /** Default namespace of the context (kubectl's default is "default"). */
  readonly namespace?: string;
  /** gRPC endpoints of the apiservers, recorded in the Bosun extension for bosun's own CLI. */
  readonly grpcEndpoints?: readonly string[];
}

/** Writes a kubeconfig (mode 0600) that kubectl can use against the HTTP API. */
export function writeHttpKubeconfig(file: string, spec: HttpKubeconfigSpec): void {
  writeKubeconfig(file, {
    clusterName: spec.clusterName ?? 'bosun',
    userName: spec.userName,
    server: spec.server,
    caData: Buffer.from(spec.caCert).toString('base64'),
    token: spec.token,
    namespace: spec.namespace,
    grpcEndpoints: [...(spec.grpcEndpoints ?? [])],
  });
}
