import { spawn } from 'node:child_process';
import * as http from 'node:http';

/** How long `kubectl port-forward` may take to start forwarding, ms. */
const START_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** A running `kubectl port-forward TARGET :REMOTE`: the local port it chose, and how to stop it. */
export interface PortForward {
  readonly port: number;
  stop(): void;
}

/** Starts the real `kubectl port-forward` to `remotePort` of `target` (e.g. pod/web, in `namespace` when given) on a free local port. */
export function kubectlPortForward(kubeconfig: string, target: string, remotePort: number, namespace?: string): Promise<PortForward> {
  const ns = namespace ? ['-n', namespace] : [];
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...ns, 'port-forward', target, `:${remotePort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise<PortForward>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`kubectl port-forward ${target} did not start: ${out}`));
    }, START_TIMEOUT_MS);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), stop: () => child.kill('SIGTERM') });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward ${target} exited ${code}: ${out}`));
    });
  });
}

/** GET http://127.0.0.1:PORT/PATH, resolving with the body. */
export function httpGetBody(port: number, urlPath: string, opts: { readonly host?: string; readonly headers?: Record<string, string> } = {}): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    http
      .get({ host: opts.host ?? '127.0.0.1', port, path: urlPath, timeout: REQUEST_TIMEOUT_MS, headers: opts.headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
}
