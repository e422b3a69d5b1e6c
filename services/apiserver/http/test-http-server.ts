import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StoreClient } from '../../../store/client';
import { BACKENDS, type RunningBackend } from '../registry/test-support';
import { ResourceSet } from '../rest/resource-set';
import { writeHttpKubeconfig } from './bearer-auth';
import { HttpApi } from './http-api';
import { runKubectl, type KubectlRun } from './test-clients';

export { KUBECTL_TIMEOUT_MS, type KubectlRun } from './test-clients';

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
    return runKubectl(opts.config ?? this.kubeconfig, this.dir, args, opts.input);
  }

  async stop(): Promise<void> {
    await this.api.close();
    this.resources.stop();
    this.client.close();
    await this.store.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
