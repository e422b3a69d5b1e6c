/**
 * One command's connection to the apiserver: the connection flags every apiserver command
 * takes, the lazily created ApiClient (closed at the end), discovery, and the effective
 * namespace. Also the action wrapper that turns any failure into kubectl-style output and
 * exit status 1.
 */
import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiError } from '../lib/api/errors';
import type { ApiClient } from '../lib/client/api-client';
import { KubeconfigError, resolveConnection, type Connection } from '../lib/client/kubeconfig';
import { formatError, println, type CliEnv } from './cli-env';
import { ResourceResolver } from './resource-resolver';

/** The flags shared by every apiserver command. */
export interface ConnectionFlags {
  kubeconfig?: string;
  server?: string;
  context?: string;
  namespace?: string;
  certificateAuthority?: string;
  /** kubectl's --as: the user to act as (the caller needs the impersonate verb). */
  as?: string;
  /** kubectl's --as-group (repeatable): the groups to act in; needs --as. */
  asGroup?: string[];
}

/** Collects a repeatable flag's values. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds --kubeconfig, --server, --context, --certificate-authority, --as, --as-group and -n/--namespace to `cmd`. */
export function withConnectionFlags(cmd: Command, namespaceFlag = true): Command {
  cmd
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig file (default: $BOSUN_KUBECONFIG, $KUBECONFIG, ./.data/local/kubeconfig, ~/.kube/config)'))
    .addOption(new Option('--server <endpoints>', 'apiserver gRPC endpoints host:port[,host:port], overriding the kubeconfig'))
    .addOption(new Option('--context <name>', 'the kubeconfig context to use'))
    .addOption(new Option('--certificate-authority <file>', "PEM CA the apiservers' gRPC certificate is checked against (default: the kubeconfig's certificate-authority-data; with neither, plain text)"))
    .addOption(new Option('--as <user>', 'user to impersonate for the request (the impersonate-user metadata; your user needs the impersonate verb)'))
    .addOption(new Option('--as-group <group>', 'group to impersonate for the request, repeatable (needs --as)').argParser(collect));
  if (namespaceFlag) cmd.addOption(new Option('-n, --namespace <namespace>', 'the namespace of the request'));
  return cmd;
}

/** --certificate-authority's file as base64 PEM (kubeconfig's certificate-authority-data form). */
function readCertificateAuthority(file: string): string {
  try {
    return fs.readFileSync(file).toString('base64');
  } catch (err) {
    throw new KubeconfigError(`error: --certificate-authority: cannot read "${file}": ${(err as Error).message}`);
  }
}

/** A command's connection (see the file comment). */
export class Session {
  private conn: Connection | undefined;
  private apiClient: ApiClient | undefined;
  private resolverPromise: Promise<ResourceResolver> | undefined;

  constructor(
    readonly env: CliEnv,
    readonly flags: ConnectionFlags,
  ) {
    if (flags.namespace !== undefined && flags.namespace === '') throw new Error('-n/--namespace must not be empty');
    if (flags.as === '') throw new Error('--as must not be empty');
    if ((flags.asGroup?.length ?? 0) > 0 && flags.as === undefined) throw new Error(`--as-group: "${flags.asGroup![0]}" needs --as (the user to impersonate)`);
  }

  /** The resolved connection (kubeconfig + flags). */
  connection(): Connection {
    this.conn ??= resolveConnection({
      kubeconfig: this.flags.kubeconfig,
      server: this.flags.server,
      context: this.flags.context,
      env: this.env.env,
      cwd: this.env.cwd,
    });
    if (this.flags.certificateAuthority) this.conn.caData = readCertificateAuthority(path.resolve(this.env.cwd, this.flags.certificateAuthority));
    if (this.flags.as !== undefined) this.conn.impersonate = { user: this.flags.as, groups: this.flags.asGroup ?? [] };
    return this.conn;
  }

  /** The ApiClient, created on first use. */
  async client(): Promise<ApiClient> {
    if (!this.apiClient) this.apiClient = await this.env.clientFactory(this.connection());
    return this.apiClient;
  }

  /** Kind resolution from discovery, fetched once. */
  resolver(): Promise<ResourceResolver> {
    this.resolverPromise ??= this.client().then(async (c) => new ResourceResolver(await c.discover()));
    return this.resolverPromise;
  }

  /** Whether -n was given. */
  get explicitNamespace(): string | undefined {
    return this.flags.namespace;
  }

  /** -n, else the context's namespace, else `default`. */
  namespace(): string {
    if (this.flags.namespace) return this.flags.namespace;
    const conn = this.connection();
    return conn.namespace || 'default';
  }

  /**
   * kubectl's message when no apiserver could be reached (`The connection to the server ... was
   * refused`), or undefined when `err` is something else.
   */
  unreachable(err: unknown): string | undefined {
    if (!(err instanceof ApiError) || err.code !== 503 || !this.conn) return undefined;
    if (!/ECONNREFUSED|No connection established|connection refused/i.test(err.message)) return undefined;
    return `The connection to the server ${this.conn.endpoints.join(',')} was refused - did you specify the right host or port?`;
  }

  /** Closes the client if one was made. */
  close(): void {
    try {
      this.apiClient?.close();
    } catch {
      // Closing is best effort.
    }
  }
}

/**
 * Runs `body` with a Session; prints any failure kubectl style to stderr and sets the exit
 * status to 1. Never lets an exception (and its stack) reach the user.
 */
export async function runAction(env: CliEnv, flags: ConnectionFlags, body: (s: Session) => Promise<void>): Promise<void> {
  let session: Session | undefined;
  try {
    session = new Session(env, flags);
    await body(session);
  } catch (err) {
    println(env.stderr, session?.unreachable(err) ?? formatError(err));
    env.setExitCode(1);
  } finally {
    session?.close();
  }
}
