/**
 * Authentication of the gRPC door, with the authenticator chain the HTTPS door uses: the
 * verified client certificate of the call's connection (CN = user, O = groups), else the
 * call's `authorization: Bearer <token>` metadata. A known credential runs the call as its user
 * (see request-user.ts); an unknown or malformed token is refused with UNAUTHENTICATED (the
 * HTTPS door's 401). A call with no credential is refused with UNAUTHENTICATED too, unless
 * anonymous requests are on (`--anonymous-auth`, as on HTTPS): then it is system:anonymous,
 * which may reach only health and reflection — both unwrapped, so always open, as /healthz and
 * /version are on HTTPS — and is refused with PERMISSION_DENIED here.
 */
import type * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { ApiError } from '../../../lib/api/errors';
import { toGrpcError } from '../../../lib/api/grpc-status';
import { AUTHORIZATION_METADATA_KEY } from '../../../lib/client/grpc-api-client';
import type { Logger } from '../../../lib/logger';
import { ANONYMOUS_USER, withRequestContext, type UserInfo } from '../authn/request-user';
import type { RequestAuthenticator } from '../authn/token-authenticator';
import { metadataImpersonation, impersonate } from '../authn/impersonation';
import { ALWAYS_ALLOW, type Authorizer } from '../authz/authorizer';

/** The message of a refused token (the HTTPS door answers 401 "Unauthorized" for the same). */
export const INVALID_TOKEN_MESSAGE = 'Unauthorized: the bearer token in the "authorization" call metadata is not valid';
/** The message of a call without credentials while anonymous requests are off. */
export const NO_CREDENTIALS_MESSAGE = 'Unauthorized: the call carries no credentials (a bearer token in the "authorization" call metadata, or a client certificate signed by the cluster CA)';
/** The message of an anonymous call while anonymous requests are on. */
export const ANONYMOUS_FORBIDDEN_MESSAGE = 'Forbidden: system:anonymous may call only grpc.health.v1.Health and server reflection';

/** How the door treats a call's credentials. */
export interface CallAuthOptions {
  /** The client certificate the connection's TLS handshake verified (grpc-js: call.getAuthContext()). */
  readonly peerCertificate?: PeerCertificate;
  /** Kubernetes' --anonymous-auth: a call without credentials is system:anonymous (refused here) rather than unauthenticated. */
  readonly anonymousAuth?: boolean;
}

/**
 * The user a call authenticates as: the verified client certificate's or the bearer token's
 * user; a 401 ApiError for an unknown token or (anonymous off) no credentials; a 403 for an
 * anonymous call (anonymous on). Without an authenticator (an in-process server configured with
 * no token file and no client CA) every call is anonymous, as Kubernetes ignores credentials no
 * authenticator handles.
 */
export function authenticateCall(metadata: grpc.Metadata, authenticator: RequestAuthenticator | undefined, options: CallAuthOptions = {}): UserInfo | Promise<UserInfo> {
  if (!authenticator) return ANONYMOUS_USER;
  const values = metadata.get(AUTHORIZATION_METADATA_KEY);
  if (values.length === 0 && !options.peerCertificate) return anonymous(options.anonymousAuth);
  const value = values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
  const found = authenticator.userOf(values.length === 0 ? undefined : (value ?? ''), options.peerCertificate);
  const settle = (user: UserInfo | undefined): UserInfo => {
    if (user) return user;
    if (values.length > 0) throw new ApiError(401, 'Unauthorized', INVALID_TOKEN_MESSAGE);
    return anonymous(options.anonymousAuth);
  };
  // A certificate or static token answers at once; a ServiceAccount token after its lookups.
  return found instanceof Promise ? found.then(settle) : settle(found);
}

/** A call without usable credentials: never reaches an API method. */
function anonymous(anonymousAuth: boolean | undefined): never {
  if (anonymousAuth) throw new ApiError(403, 'Forbidden', ANONYMOUS_FORBIDDEN_MESSAGE);
  throw new ApiError(401, 'Unauthorized', NO_CREDENTIALS_MESSAGE);
}

type Handler = (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => void;

/**
 * `impl` with every method authenticated first (see {@link authenticateCall}; `anonymousAuth` is
 * --anonymous-auth), then impersonation checked with `authorizer`: the handler runs inside the request context of the call's user; a refused call never reaches it (a unary call's callback or a stream's
 * error carries the 401 status). Unary, server-streaming and bidirectional methods.
 */
export function authenticatedService(
  definition: grpc.ServiceDefinition,
  impl: grpc.UntypedServiceImplementation,
  authenticator: RequestAuthenticator | undefined,
  logger?: Logger,
  access: { readonly authorizer?: Authorizer; readonly anonymousAuth?: boolean } = {},
): grpc.UntypedServiceImplementation {
  const out: Record<string, Handler> = {};
  for (const [name, handler] of Object.entries(impl) as [string, Handler][]) {
    const method = definition[name];
    if (!method || (method.requestStream && !method.responseStream)) {
      throw new Error(`authenticatedService: ${name} is not a unary, server-streaming or bidirectional method of the service`);
    }
    out[name] = (call, callback) => {
      const refuse = (err: unknown): void => {
        logger?.debug({ method: method.path, peer: call.getPeer() }, 'refused a call before its handler (credentials or impersonation)');
        if (method.responseStream) call.emit('error', toGrpcError(err));
        else callback!(toGrpcError(err));
      };
      const run = (user: UserInfo): void => {
        const agent = call.metadata.get('user-agent')[0];
        withRequestContext(() => handler(call, callback), user, { requestURI: method.path, sourceIP: peerAddress(call.getPeer()), userAgent: agent === undefined ? undefined : String(agent) });
      };
      // Impersonation (the call's impersonate-* metadata) is the step after authentication.
      const acting = (u: UserInfo): UserInfo => impersonate(u, metadataImpersonation(call.metadata), access.authorizer ?? ALWAYS_ALLOW);
      let user: UserInfo | Promise<UserInfo>;
      try {
        const authenticated = authenticateCall(call.metadata, authenticator, { peerCertificate: call.getAuthContext()?.sslPeerCertificate, anonymousAuth: access.anonymousAuth });
        user = authenticated instanceof Promise ? authenticated.then(acting) : acting(authenticated);
      } catch (err) {
        refuse(err);
        return;
      }
      if (user instanceof Promise) {
        user.then(run, refuse).catch((err: unknown) => logger?.error({ err, method: method.path }, 'a call failed after its authentication'));
      } else run(user);
    };
  }
  return out as grpc.UntypedServiceImplementation;
}

/** The address of a grpc-js peer string ("ipv4:127.0.0.1:5000", "ipv6:[::1]:5000", "127.0.0.1:5000"). */
function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const colon = bare.lastIndexOf(':');
  return (colon > 0 ? bare.slice(0, colon) : bare).replace(/^\[|\]$/g, '');
}
