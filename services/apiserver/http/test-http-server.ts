import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StoreClient } from '../../../store/client';
import { BACKENDS, type RunningBackend } from '../registry/test-support';
import { ResourceSet } from '../rest/resource-set';
import { writeHttpKubeconfig } from './bearer-auth';
import { HttpApi } from './http-api';

/** Longest any one kubectl invocation may run. */
export const KUBECTL_TIMEOUT_MS = 20_000;

/** What one kubectl run printed, and its exit code. */
export interface KubectlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Test support: a real Bosun store (BACKENDS[0]), the resources over it with a `default`
 * namespace, and the Kubernetes HTTP API in-process on a free port with a kubeconfig for the
 * real kubectl (own HOME and cache dir per server). Not used outside tests.
 */
export class TestHttpServer {
  private constructor(
    readonly dir: string,
    readonly store: RunningBackend,
    readonly client: StoreClient,
    readonly resources: ResourceSet,
    readonly api: HttpApi,
    readonly kubeconfig: string,
    readonly token: string,
  ) {}

  static async start(prefix: string, token: string): Promise<TestHttpServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const store = await BACKENDS[0]!.start();
    const client = new StoreClient({ endpoints: store.endpoints });
    const resources = new ResourceSet({ client });
    await resources.start();
    await resources.byResource('', 'namespaces')!.create(undefined, { metadata: { name: 'default' } });
    const api = new HttpApi({ resources, certDir: path.join(dir, 'pki'), tokens: [token] });
    await api.listen('127.0.0.1:0');
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeHttpKubeconfig(kubeconfig, { server: api.url, caCert: api.tls.caCert, token, namespace: 'default' });
    return new TestHttpServer(dir, store, client, resources, api, kubeconfig, token);
  }

  /** Runs kubectl against this server, with `input` on stdin (optionally another kubeconfig). */
  kubectl(args: string[], opts: { input?: string; config?: string } = {}): Promise<KubectlRun> {
    const full = ['--kubeconfig', opts.config ?? this.kubeconfig, '--cache-dir', path.join(this.dir, 'kube-cache'), '--request-timeout=15s', ...args];
    return new Promise((resolve) => {
      const child = spawn('kubectl', full, { env: { ...process.env, HOME: this.dir }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), KUBECTL_TIMEOUT_MS);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(opts.input ?? '');
    });
  }

  async stop(): Promise<void> {
    await this.api.close();
    this.resources.stop();
    this.client.close();
    await this.store.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
