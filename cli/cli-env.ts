/**
 * What the apiserver commands run against: the output streams, stdin, the environment, the
 * clock and the factory of ApiClients. The real binary builds one from the process
 * ({@link processCliEnv}); tests build one with buffers and a fake client.
 */
import { ApiError } from '../lib/api/errors';
import type { ApiClient } from '../lib/client/api-client';
import type { Connection } from '../lib/client/kubeconfig';
import { KubeconfigError } from '../lib/client/kubeconfig';

/** Something text can be written to (a process stream or a test buffer). */
export interface TextSink {
  write(text: string): unknown;
}

/** stdin as the CLI reads it: chunks of text or bytes; `isTTY` when interactive. */
export type TextSource = AsyncIterable<string | Uint8Array> & { isTTY?: boolean };

/** Builds the ApiClient of a resolved connection. */
export type ClientFactory = (conn: Connection) => ApiClient | Promise<ApiClient>;

/** The environment of one CLI invocation. */
export interface CliEnv {
  stdout: TextSink;
  stderr: TextSink;
  stdin?: TextSource;
  /** Environment variables (KUBECONFIG, BOSUN_KUBECONFIG, HOME). */
  env: Readonly<Record<string, string | undefined>>;
  /** Working directory for relative paths. */
  cwd: string;
  /** The clock (ages in tables and describe). */
  now: () => Date;
  clientFactory: ClientFactory;
  /** Aborted on Ctrl-C: ends `get -w` and waits. */
  interrupt?: AbortSignal;
  /** Whether `get -w` also ends when stdin ends (true for an interactive stdin or injected streams). */
  watchEndsWithStdin: boolean;
  /** Records the exit status; the last failure wins (1). */
  setExitCode(code: number): void;
}

/**
 * A user-facing failure whose message is printed as is (it already reads like kubectl's, e.g.
 * `error: ...`), with exit status 1.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** `error: <message>` as a CliError. */
export function usageError(message: string): CliError {
  return new CliError(`error: ${message}`);
}

/**
 * The line printed for a failure, kubectl style: `Error from server (NotFound): pods "x" not
 * found`; `The Deployment "web" is invalid: ...` for validation failures; `error: ...` for
 * client-side errors. `context` (e.g. `error when creating "f.yaml"`) is put before a server
 * message as kubectl does.
 */
export function formatError(err: unknown, context?: string): string {
  if (err instanceof ApiError) {
    if (err.reason === 'Invalid') return `The ${err.message}`;
    const msg = context ? `${context}: ${err.message}` : err.message;
    return `Error from server (${err.reason || 'Unknown'}): ${msg}`;
  }
  if (err instanceof CliError || err instanceof KubeconfigError) {
    const m = err.message;
    return m.startsWith('error:') || m.startsWith('bosun:') || m.startsWith('Error') ? m : `error: ${m}`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return `error: ${context ? `${context}: ` : ''}${message}`;
}

/** Writes `line` and a newline to `sink`. */
export function println(sink: TextSink, line = ''): void {
  sink.write(`${line}\n`);
}

/** Reads all of `source` as UTF-8 text. */
export async function readAll(source: TextSource): Promise<string> {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of source) chunks.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  chunks.push(decoder.decode());
  return chunks.join('');
}
