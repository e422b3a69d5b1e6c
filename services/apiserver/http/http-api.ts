/**
 * The Kubernetes REST API over HTTPS (Node's https module), for kubectl and any Kubernetes
 * client: /version and health endpoints, legacy discovery, OpenAPI,
 * and every resource of a ResourceSet — the same ResourceRest the gRPC front door calls, so no
 * API rule is duplicated here. OpenAPI documents come from lib/api/openapi. TLS material comes from a cluster CA kept in `certDir`;
 * requests other than /version and the health checks need `Authorization: Bearer <token>` or a
 * client certificate signed by the client CA (asked for, not required, as kube-apiserver does:
 * a certificate from another CA completes the handshake and is answered 401).
 */
import * as https from 'node:https';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../../lib/logger';
import { ApiError, MethodNotAllowedError, BadRequestError, InternalError } from '../../../lib/api/errors';
import { openApiDocuments, openApiResponse, type OpenApiDocuments } from '../../../lib/api/openapi';
import { statusFromError } from '../../../lib/api/status';
import type { ResourceSet } from '../rest/resource-set';
import { ANONYMOUS_USER, setRequestUser, withRequestContext, type RequestOrigin, type UserInfo } from '../authn/request-user';
import { ALWAYS_ALLOW, type Authorizer, forbiddenMessage } from '../authz/authorizer';
import { httpImpersonation, impersonate } from '../authn/impersonation';
import { BearerAuthenticator, type TokenEntry } from './bearer-auth';
import { TokenAuthenticatorChain, type RequestAuthenticator } from '../authn/token-authenticator';
import { ensureClusterTls, SERVING_CERT_FILE, SERVING_KEY_FILE, type ClusterTls } from './cluster-tls';
import { ReloadingIdentity, serveReloadingIdentity } from '../../../lib/pki/reloading-identity';
import { NodeStreamProxy } from './node-stream-proxy';
import { refuseUpgradeWithStatus } from '../../../lib/streaming/refuse-upgrade';
import { isConnectable } from '../rest/resource-rest';
import { APISERVER_KUBELET_CLIENT_CERT, ensureApiserverKubeletClientCert } from '../../../lib/pki/component-certs';
import { isCustomResourceDefinitionList, noCustomResourceDefinitions } from './custom-resource-definitions';
import { apiGroupList, apiGroupOf, apiResourceList, apiVersions, versionInfo } from './discovery';
import { sendError, sendJson, sendObject, writeErrorHeld } from './http-io';
import { negotiateOrRefuse, type ResponseForm } from './media-negotiation';
import { discardBody } from './request-body';
import { parseApiPath, parseRequestTarget } from './request-path';
import { notFoundPath, ResourceHandler } from './resource-handler';

/** Constructor parameters of an HttpApi. */
export interface HttpApiOptions {
  readonly resources: ResourceSet;
  /** Directory of the cluster CA and the serving certificate (made at first start, reused after). */
  readonly certDir: string;
  /** Bearer tokens accepted (e.g. from readTokenFile / ensureTokenFile), unless `authenticator` is given. */
  readonly tokens: readonly (string | TokenEntry)[];
  /** The authenticator to use (the one the gRPC door shares); default: client certificates, then `tokens`. */
  readonly authenticator?: RequestAuthenticator;
  /** Hosts the serving certificate names besides 127.0.0.1, localhost and ::1. */
  readonly hosts?: readonly string[];
  readonly logger?: Logger;
  /** Clock for Table AGE cells. */
  readonly clock?: () => Date;
  /** Whether /readyz answers ok (default: always). */
  readonly ready?: () => boolean;
  /** Authorizes the non-resource paths (discovery, OpenAPI); resources are authorized by their REST. Default: all allowed. */
  readonly authorizer?: Authorizer;
  /** PEM of the CA client certificates are verified against (`--client-ca-file`); default: the cluster CA. */
  readonly clientCaCert?: string;
  /**
   * Kubernetes' --anonymous-auth: a request without credentials is system:anonymous, which may
   * reach only /healthz, /livez, /readyz and /version (403 elsewhere); off (the default), it is
   * answered 401. Those four paths are served to anyone either way (launchers probe them).
   */
  readonly anonymousAuth?: boolean;
}

/** The message of an anonymous request to a path other than the public ones (anonymous on). */
export const ANONYMOUS_FORBIDDEN_PATH_MESSAGE = 'forbidden: User "system:anonymous" may reach only /healthz, /livez, /readyz and /version';

/** The message of a 500 caused by a server bug (the details go to the log, not to the client). */
export const UNEXPECTED_ERROR_MESSAGE = 'Internal error occurred: the server failed unexpectedly; its log has the details';

/** Discovery documents and other non-resource objects have no Table or protobuf form: JSON then. */
function plainForm(form: ResponseForm): ResponseForm {
  return form.type === 'yaml' ? form : { type: 'json' };
}

/** Paths served without authentication (as Kubernetes' system:public-info-viewer). */
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

/** The HTTPS server of the Kubernetes REST API. */
export class HttpApi {
  /** The CA and serving certificate (caCert goes into kubeconfigs). */
  readonly tls: ClusterTls;
  private readonly server: https.Server;
  private readonly auth: RequestAuthenticator;
  private readonly handler: ResourceHandler;
  /** Proxies pods' streaming subresources to node agents (the gRPC door uses it too). */
  readonly streams: NodeStreamProxy;
  private readonly logger: Logger | undefined;
  private boundPort = 0;
  private address = '127.0.0.1:0';
  private openApiDocs: OpenApiDocuments | undefined;

  constructor(private readonly opts: HttpApiOptions) {
    this.tls = ensureClusterTls(opts.certDir, opts.hosts ?? []);
    this.auth = opts.authenticator ?? new TokenAuthenticatorChain(new BearerAuthenticator(opts.tokens), undefined);
    this.logger = opts.logger?.child({ part: 'http-api' });
    const kubeletClient = ensureApiserverKubeletClientCert(opts.certDir);
    this.streams = new NodeStreamProxy(kubeletClient, ReloadingIdentity.fromFiles(path.join(opts.certDir, `${APISERVER_KUBELET_CLIENT_CERT}.crt`), path.join(opts.certDir, `${APISERVER_KUBELET_CLIENT_CERT}.key`)));
    this.handler = new ResourceHandler(opts.resources, opts.clock ?? (() => new Date()), this.streams);
    // Client certificates are asked for but not required: a request may authenticate with a token instead.
    const tlsOptions = { cert: this.tls.cert, key: this.tls.key, ca: opts.clientCaCert ?? this.tls.caCert, requestCert: true, rejectUnauthorized: false };
    this.server = https.createServer(tlsOptions, (req, res) => void withRequestContext(() => this.serve(req, res), undefined, originOf(req)));
    // New connections get the serving certificate on disk now: bosun up renews it before it expires.
    serveReloadingIdentity(this.server, ReloadingIdentity.fromFiles(path.join(opts.certDir, SERVING_CERT_FILE), path.join(opts.certDir, SERVING_KEY_FILE)), tlsOptions);
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void withRequestContext(() => this.upgrade(req, socket, head), undefined, originOf(req)));
  }

  /** Listens on `hostPort` ("127.0.0.1:0" for any free port); resolves with the port. */
  listen(hostPort: string): Promise<number> {
    const colon = hostPort.lastIndexOf(':');
    const host = hostPort.slice(0, colon).replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = Number(hostPort.slice(colon + 1));
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        this.boundPort = typeof addr === 'object' && addr ? addr.port : port;
        this.address = `${host.includes(':') ? `[${host}]` : host}:${this.boundPort}`;
        this.logger?.info({ https: this.address }, 'serving the Kubernetes HTTP API');
        resolve(this.boundPort);
      });
    });
  }

  /** The port listened on (0 before listen). */
  get port(): number {
    return this.boundPort;
  }

  /** `https://127.0.0.1:PORT`, the server URL for a kubeconfig. */
  get url(): string {
    return `https://127.0.0.1:${this.boundPort}`;
  }

  /** Stops listening and ends every open request, watches included. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.logger?.isLevelEnabled('debug')) {
      const started = Date.now();
      res.on('close', () => this.logger?.debug({ method: req.method, url: req.url, code: res.statusCode, ms: Date.now() - started }, 'request'));
    }
    try {
      const url = parseRequestTarget(req.url);
      const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      const method = req.method ?? 'GET';
      if (PUBLIC_PATHS.has(pathname) || /^\/(healthz|livez|readyz)\//.test(pathname)) {
        if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowedError(`${method} is not allowed on ${pathname}`);
        if (pathname === '/version') return sendJson(res, 200, versionInfo());
        const ok = !pathname.startsWith('/readyz') || (this.opts.ready?.() ?? true);
        res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
        res.end(ok ? 'ok' : 'not ready');
        return;
      }
      const user = await this.authenticate(req);
      const acting = impersonate(user, httpImpersonation(req), this.opts.authorizer ?? ALWAYS_ALLOW);
      setRequestUser(acting);
      const path = parseApiPath(pathname);
      if (path?.type !== 'resource') this.authorizePath(acting, method, pathname);
      if (pathname.startsWith('/openapi/') || pathname === '/swagger.json') {
        if (method !== 'GET') throw new MethodNotAllowedError(`${method} is not allowed on ${pathname}`);
        const answer = openApiResponse(this.openApi(), url.pathname, url.searchParams, req.headers.accept);
        if (!answer) throw notFoundPath();
        res.writeHead(answer.status, { ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) });
        res.end(answer.body);
        return;
      }
      if (!path) throw notFoundPath();
      const form = negotiateOrRefuse(req.headers.accept);
      if (path.type === 'resource') {
        if (isCustomResourceDefinitionList(path)) {
          if (method !== 'GET') throw new MethodNotAllowedError(`${method} is not allowed on ${pathname}: Bosun serves no custom resources`);
          return sendObject(res, 200, noCustomResourceDefinitions(), plainForm(form));
        }
        await this.handler.handle({ req, res, query: url.searchParams, form }, path);
        return;
      }
      if (method !== 'GET') throw new MethodNotAllowedError(`${method} is not allowed on ${pathname}`);
      const rests = this.opts.resources.all();
      let doc: unknown;
      switch (path.type) {
        case 'api-versions':
          doc = apiVersions(this.address);
          break;
        case 'group-list':
          doc = apiGroupList(rests);
          break;
        case 'group':
          doc = apiGroupOf(rests, path.group);
          break;
        case 'resource-list':
          doc = apiResourceList(rests, path.group, path.version);
          break;
      }
      if (doc === undefined) throw notFoundPath();
      return sendObject(res, 200, doc as Record<string, unknown>, plainForm(form));
    } catch (err) {
      this.answerError(req, res, err);
    }
  }

  /** Refuses a non-resource request the authorizer denies (Kubernetes' verb: the method, lower-cased). */
  /**
   * The user of a request to a non-public path: its verified client certificate's or bearer
   * token's; 401 without either (anonymous off) or with one that is not valid; 403 for
   * system:anonymous (anonymous on), which reaches only the public paths.
   */
  private async authenticate(req: IncomingMessage): Promise<UserInfo> {
    const socket = req.socket as TLSSocket;
    const cert = socket.authorized ? socket.getPeerCertificate() : undefined;
    const peerCertificate = cert && cert.raw ? cert : undefined;
    const user = await this.auth.userOf(req.headers.authorization, peerCertificate);
    if (user) return user;
    if (req.headers.authorization === undefined && this.opts.anonymousAuth) {
      setRequestUser(ANONYMOUS_USER);
      throw new ApiError(403, 'Forbidden', ANONYMOUS_FORBIDDEN_PATH_MESSAGE);
    }
    throw new ApiError(401, 'Unauthorized', 'Unauthorized');
  }

  private authorizePath(user: UserInfo, method: string, pathname: string): void {
    if (!this.opts.authorizer) return;
    const attrs = { user, verb: method === 'HEAD' ? 'get' : method.toLowerCase(), resourceRequest: false, path: pathname };
    const decision = this.opts.authorizer.authorize(attrs);
    if (!decision.allowed) throw new ApiError(403, 'Forbidden', forbiddenMessage(attrs, decision.reason));
  }

  /** The OpenAPI documents of the served resources (built on first use, then kept). */
  private openApi(): OpenApiDocuments {
    return (this.openApiDocs ??= openApiDocuments(this.opts.resources.all().map((r) => r.info)));
  }

  /**
   * Answers a failed request with its Status. An error that is not an ApiError is a server bug:
   * it is logged, and the client gets a 500 without the JavaScript message. A body the request
   * did not get to read is discarded after answering (request-body.ts says why).
   */
  private answerError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const answer = err instanceof ApiError ? err : new InternalError(UNEXPECTED_ERROR_MESSAGE);
    if (answer.code >= 500) this.logger?.warn({ err, method: req.method, url: req.url }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (req.complete) return sendError(res, answer);
    discardBody(req, writeErrorHeld(res, answer));
  }

  /**
   * exec, attach and port-forward ask to upgrade (to WebSocket, or SPDY): the pod's subresource
   * resolves to its node agent, and the upgrade is proxied there. Anything refused gets a Status
   * (kubectl prints its message) instead of a dropped connection.
   */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    try {
      const user = await this.authenticate(req);
      setRequestUser(impersonate(user, httpImpersonation(req), this.opts.authorizer ?? ALWAYS_ALLOW));
      const url = parseRequestTarget(req.url);
      const path = parseApiPath(url.pathname);
      if (!path || path.type !== 'resource' || path.name === undefined || path.subresource === undefined || path.watch) {
        throw new BadRequestError(`${url.pathname} cannot be upgraded: only the exec, attach and portforward subresources of pods stream`);
      }
      const rest = this.opts.resources.byVersion(path.group, path.version, path.resource);
      const sub = path.subresource;
      if (!rest || !isConnectable(rest, sub) || sub === 'log' || path.namespace === undefined) {
        throw new BadRequestError(`${url.pathname} cannot be upgraded: only the exec, attach and portforward subresources of pods stream`);
      }
      const location = await rest.connect(path.namespace, path.name, sub, url.searchParams);
      if (!location) throw new BadRequestError(`pod ${path.name} does not have a host assigned`);
      await this.streams.proxyUpgrade(location, req, socket, head);
    } catch (err) {
      const answer = err instanceof ApiError ? err : new InternalError(UNEXPECTED_ERROR_MESSAGE);
      if (answer.code >= 500) this.logger?.warn({ err, url: req.url }, 'upgrade failed');
      refuseUpgradeWithStatus(socket, statusFromError(answer));
    }
  }
}

/** Where an HTTP request came from (the audit log's requestURI, sourceIPs and userAgent). */
function originOf(req: IncomingMessage): RequestOrigin {
  return { requestURI: req.url ?? '/', sourceIP: req.socket.remoteAddress?.replace(/^::ffff:/, ''), userAgent: req.headers['user-agent'] };
}
