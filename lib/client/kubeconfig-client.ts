/**
 * A GrpcApiClient from a kubeconfig: the one way the CLI and every Bosun service turn a
 * kubeconfig (its current context's cluster and user) into an API client with an identity —
 * endpoints from the cluster's bosun.dev/grpc extension (or a grpc:// server), the bearer
 * token from the user, the client certificate (followed, when read from a file) from the user.
 */
import { GrpcApiClient, type GrpcApiClientOptions } from './grpc-api-client';
import type { GrpcClientTls } from '../grpc/tls';
import { ReloadingIdentity } from '../pki/reloading-identity';
import { resolveConnection, type Connection } from './kubeconfig';

/**
 * The TLS of a connection: the cluster's certificate-authority-data (the apiservers' gRPC door
 * serves the HTTPS door's certificate) and the user's client certificate; undefined (plain
 * text) when the cluster names no CA, as a kubeconfig for --insecure apiservers does.
 */
export function connectionTls(conn: Pick<Connection, 'caData' | 'clientCert' | 'clientKey' | 'file'> & { readonly contextName?: string }): GrpcClientTls | undefined {
  if (!conn.caData) return undefined;
  const tls = { caCert: Buffer.from(conn.caData, 'base64').toString('utf8'), cert: conn.clientCert, key: conn.clientKey };
  if (!conn.file || !conn.clientCert || !conn.clientKey) return tls;
  return { ...tls, identity: kubeconfigIdentity(conn.file, conn.contextName) };
}

/**
 * The client certificate of `file`'s context `contextName` (its current one when ''), followed
 * while the process runs: `bosun up` rewrites component kubeconfigs when it renews their
 * certificates, and new connections then present the new one.
 */
function kubeconfigIdentity(file: string, contextName: string | undefined): ReloadingIdentity {
  return new ReloadingIdentity(() => {
    const conn = resolveConnection({ kubeconfig: file, context: contextName || undefined, env: {} });
    if (!conn.clientCert || !conn.clientKey) throw new Error(`${file}: no client certificate`);
    return { cert: conn.clientCert, key: conn.clientKey };
  }, [file]);
}

/** The GrpcApiClient options of a resolved connection: its endpoints, TLS, its user's credentials and whom it acts as. */
export function grpcClientOptions(conn: Connection, callTimeoutMs?: number): GrpcApiClientOptions {
  return { endpoints: conn.endpoints, token: conn.token, callTimeoutMs, tls: connectionTls(conn), ...(conn.impersonate ? { impersonate: conn.impersonate } : {}) };
}

/** A GrpcApiClient for a resolved connection (endpoints and token). */
export function grpcClientFor(conn: Connection, callTimeoutMs?: number): GrpcApiClient {
  return new GrpcApiClient(grpcClientOptions(conn, callTimeoutMs));
}

/**
 * The connection a service reads from its `--kubeconfig`: the file's current context; when
 * `endpoints` is given (an explicit `--apiserver`), it replaces the file's endpoints and the
 * token still comes from the file. The environment (KUBECONFIG, ~/.kube/config) is never
 * consulted: a service uses exactly the file it was given. Throws KubeconfigError naming the
 * file when it is missing, unparsable, or names no usable cluster.
 */
export function serviceConnection(file: string, endpoints?: readonly string[]): Connection {
  return resolveConnection({ kubeconfig: file, server: endpoints && endpoints.length > 0 ? endpoints.join(',') : undefined, env: {} });
}
