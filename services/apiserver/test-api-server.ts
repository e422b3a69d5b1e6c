import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { createLogger } from '../../lib/logger';
import { StoreClient } from '../../store/client';
import { ApiServer, type ApiServerConfig } from './apiserver';
import { ensureSystemObjects } from './bootstrap';
import { ensureTokenFile, ensureUserToken, readTokenEntries, writeHttpKubeconfig } from './http/bearer-auth';
import { ensureClusterTls } from './http/cluster-tls';
import type { UserInfo } from './authn/request-user';
import { authorizationModeList, type AuthorizationModes } from './authz/api-authorization';
import type { EncryptionConfig } from './encryption/encryption-config';
import { reconcileBootstrapPolicy } from './authz/bootstrap-policy-reconciler';
import { ensureServiceAccountKey, SERVICE_ACCOUNT_KEY_FILE, serviceAccountTokenConfig } from './serviceaccount/token-keys';
import { httpsRequest, runKubectl, type HttpsAnswer, type KubectlRun } from './http/test-clients';
import { BACKENDS, type RunningBackend } from './registry/test-support';

/**
 * Test support: one real apiserver with both front doors — gRPC (a GrpcApiClient) and the
 * Kubernetes HTTPS API (raw requests and the real kubectl) — over a real 3-member Bosun store,
 * plus a store client for writing into the store by hand as `etcdctl` would. The system
 * namespaces and PriorityClasses exist. Not used outside tests.
 */
export class TwoDoorApiServer {
  private constructor(
    readonly dir: string,
    readonly backend: RunningBackend,
    readonly server: ApiServer,
    /** The gRPC door. */
    readonly grpc: GrpcApiClient,
    /** The store itself, behind the apiserver's back. */
    readonly store: StoreClient,
    readonly kubeconfig: string,
    readonly token: string,
  ) {}

  /**
   * Starts one. `users` get tokens in the token file before the server reads it (their
   * kubeconfigs: {@link userKubeconfig}); with RBAC among the authorization modes the
   * bootstrap policy is reconciled at start, as the apiserver process does;
   * `serviceAccountTokens` gives it a ServiceAccount signing key; `grpcTls` serves the gRPC door
   * over TLS (client certificates of the cluster CA authenticate); `anonymousAuth` is --anonymous-auth.
   */
  static async start(prefix: string, opts: { readonly authorizationMode?: AuthorizationModes; readonly users?: readonly UserInfo[]; readonly encryption?: EncryptionConfig; readonly audit?: ApiServerConfig['audit']; readonly serviceAccountTokens?: boolean; readonly grpcTls?: boolean; readonly anonymousAuth?: boolean } = {}): Promise<TwoDoorApiServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const backend = await BACKENDS[0]!.start();
    const tokenFile = path.join(dir, 'tokens.csv');
    const token = ensureTokenFile(tokenFile);
    for (const user of opts.users ?? []) ensureUserToken(tokenFile, user);
    // With grpcTls the gRPC door serves the HTTPS door's certificate and takes client certificates of its CA, as the process does.
    const tls = opts.grpcTls ? ensureClusterTls(path.join(dir, 'pki')) : undefined;
    const server = await ApiServer.start(
      {
        storeEndpoints: backend.endpoints,
        grpcListen: '127.0.0.1:0',
        https: { listen: '127.0.0.1:0', certDir: path.join(dir, 'pki'), tokenFile },
        authorizationMode: opts.authorizationMode,
        encryption: opts.encryption,
        audit: opts.audit,
        anonymousAuth: opts.anonymousAuth,
        ...(tls ? { grpcTls: { cert: tls.cert, key: tls.key, clientCa: tls.caCert } } : {}),
        // With a signing key, ServiceAccount tokens are issued and accepted (and pods get token volumes), as under `bosun up`.
        ...(opts.serviceAccountTokens ? { serviceAccountTokens: serviceAccountTokenConfig({ signingKeyFile: ensureServiceAccountKey(path.join(dir, 'pki', SERVICE_ACCOUNT_KEY_FILE)) }) } : {}),
      },
      createLogger('apiserver', 'warn'),
      {
        onStart: [
          async (resources, srv) => {
            await ensureSystemObjects(resources);
            if (authorizationModeList(opts.authorizationMode).includes('RBAC')) await reconcileBootstrapPolicy(resources, { nodeAuthorizer: srv.authorization.nodeAuthorizer });
          },
        ],
      },
    );
    const grpc = new GrpcApiClient({ endpoints: [server.grpcAddress], token, ...(tls ? { tls: { caCert: tls.caCert } } : {}) });
    const store = new StoreClient({ endpoints: backend.endpoints });
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeHttpKubeconfig(kubeconfig, { server: server.http!.url, caCert: server.http!.tls.caCert, token, namespace: 'default' });
    return new TwoDoorApiServer(dir, backend, server, grpc, store, kubeconfig, token);
  }

  /** A kubeconfig (HTTPS) for `user`, one of the users the server was started with. */
  userKubeconfig(user: string): { kubeconfig: string; token: string } {
    const entry = readTokenEntries(path.join(this.dir, 'tokens.csv')).find((e) => e.user.name === user);
    if (!entry) throw new Error(`no token for user "${user}": pass it in start()'s users`);
    const kubeconfig = path.join(this.dir, `${user}.kubeconfig`);
    writeHttpKubeconfig(kubeconfig, { server: this.server.http!.url, caCert: this.server.http!.tls.caCert, token: entry.token, namespace: 'default' });
    return { kubeconfig, token: entry.token };
  }

  /** A raw HTTPS request with the cluster token (JSON bodies are serialized). */
  request(method: string, urlPath: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpsAnswer> {
    const http = this.server.http!;
    const body = opts.body === undefined || typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? (opts.body as string | Buffer | undefined) : JSON.stringify(opts.body);
    const headers = { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(opts.headers ?? {}) };
    return httpsRequest({ port: http.port, caCert: http.tls.caCert, token: this.token }, method, urlPath, { body, headers });
  }

  /** Runs the real kubectl against the HTTPS door. */
  kubectl(args: string[], input?: string): Promise<KubectlRun> {
    return runKubectl(this.kubeconfig, this.dir, args, input);
  }

  async stop(): Promise<void> {
    this.grpc.close();
    this.store.close();
    await this.server.stop();
    await this.backend.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
