/**
 * Authentication of the gRPC door: a call's `authorization: Bearer <token>` metadata is checked
 * against the token authenticator the HTTPS door uses. A known token runs the call as its user
 * (see request-user.ts); an unknown or malformed one is refused with UNAUTHENTICATED (the
 * HTTPS door's 401); a call without the metadata runs as the anonymous user (anonymous access
 * is still allowed; authorization comes later). Reflection and health stay open, as /healthz
 * and /version are on HTTPS.
 */
import type * as grpc from '@grpc/grpc-js';
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

/**
 * The user a call's metadata authenticates as: anonymous without an `authorization` entry, the
 * token's user for a known bearer token; a 401 ApiError otherwise. Without an authenticator
 * (no token file configured) every call is anonymous, as Kubernetes ignores credentials no
 * authenticator handles.
 */
export function authenticateCall(metadata: grpc.Metadata, authenticator: RequestAuthenticator | undefined): UserInfo | Promise<UserInfo> {
  const values = metadata.get(AUTHORIZATION_METADATA_KEY);
  if (values.length === 0 || !authenticator) return ANONYMOUS_USER;
  const value = values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
  const found = authenticator.userOf(value);
  // A static token answers at once; a ServiceAccount token after its lookups.
  return found instanceof Promise ? found.then(authenticatedOrRefused) : authenticatedOrRefused(found);
}

function authenticatedOrRefused(user: UserInfo | undefined): UserInfo {
  if (!user) throw new ApiError(401, 'Unauthorized', INVALID_TOKEN_MESSAGE);
  return user;
}

type Handler = (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => void;

/**
 * `impl` with every method authenticated first: the handler runs inside the request context of
 * the call's user; a refused call never reaches it (a unary call's callback or a stream's
 * error carries the 401 status). Unary, server-streaming and bidirectional methods.
 */
export function authenticatedService(
  definition: grpc.ServiceDefinition,
  impl: grpc.UntypedServiceImplementation,
  authenticator: RequestAuthenticator | undefined,
  logger?: Logger,
  authorizer: Authorizer = ALWAYS_ALLOW,
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
      const acting = (u: UserInfo): UserInfo => impersonate(u, metadataImpersonation(call.metadata), authorizer);
      let user: UserInfo | Promise<UserInfo>;
      try {
        const authenticated = authenticateCall(call.metadata, authenticator);
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
