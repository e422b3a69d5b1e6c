import { spawn } from 'node:child_process';
import * as https from 'node:https';
import * as path from 'node:path';

/**
 * Test support: the two clients the HTTP API tests drive a server with — the real kubectl
 * (own HOME and cache dir) and raw HTTPS requests trusting the cluster CA. Not used outside tests.
 */

/** Longest any one kubectl invocation may run. */
export const KUBECTL_TIMEOUT_MS = 20_000;

/** What one kubectl run printed, and its exit code. */
export interface KubectlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with `kubeconfig`, HOME and the cache under `dir`, and `input` on stdin. */
export function runKubectl(kubeconfig: string, dir: string, args: readonly string[], input = ''): Promise<KubectlRun> {
  const full = ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'kube-cache'), '--request-timeout=15s', ...args];
  return new Promise((resolve) => {
    const child = spawn('kubectl', full, { env: { ...process.env, HOME: dir }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), KUBECTL_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** A raw HTTPS answer. */
export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Where and as whom raw requests go. */
export interface HttpsTarget {
  readonly port: number;
  readonly caCert: string;
  /** Bearer token (none sent when null). */
  readonly token: string | null;
}

/** One raw HTTPS request to 127.0.0.1:port; its whole answer. */
export function httpsRequest(
  target: HttpsTarget,
  method: string,
  urlPath: string,
  opts: { body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (target.token !== null) headers.Authorization = `Bearer ${target.token}`;
    // Node frames no body of a DELETE by default (neither chunked nor a length): say its length.
    if (opts.body !== undefined && headers['Content-Length'] === undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    const req = https.request({ host: '127.0.0.1', port: target.port, method, path: urlPath, ca: target.caCert, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The `Warning` headers of an answer, as texts (Node joins repeated headers with ", "). */
export function warningsOf(answer: HttpsAnswer): string[] {
  const raw = answer.headers.warning;
  const text = raw === undefined ? '' : Array.isArray(raw) ? raw.join(', ') : raw;
  return [...text.matchAll(/299 - ("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]!) as string);
}
