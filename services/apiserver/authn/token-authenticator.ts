/**
 * The authenticator both doors share (Kubernetes' union of authenticators, in its order): a
 * verified client certificate first (./x509-authenticator.ts), then the token file's static
 * tokens, then ServiceAccount JWTs. A static token answers at
 * once (synchronously, so the doors keep their fast path); a ServiceAccount token needs its
 * ServiceAccount looked up and answers with a promise. Undefined means "not authenticated":
 * the door answers 401 (HTTP) or UNAUTHENTICATED (gRPC).
 */
import type { BearerAuthenticator } from '../http/bearer-auth';
import type { ServiceAccountTokens } from '../serviceaccount/service-account-tokens';
import type { PeerCertificate } from 'node:tls';
import type { UserInfo } from './request-user';
import { userOfCertificate } from './x509-authenticator';

/** A user, none, or a user still being looked up. */
export type Authentication = UserInfo | undefined | Promise<UserInfo | undefined>;

/**
 * What a door asks: the user of an `Authorization` header (or gRPC metadata) value, or of the
 * client certificate the connection's TLS handshake verified against the client CA.
 */
export interface RequestAuthenticator {
  userOf(authorization: string | undefined, verifiedClientCert?: PeerCertificate): Authentication;
}

/** The token of an `Authorization: Bearer <token>` value (scheme case-insensitive); undefined otherwise. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m ? m[1] : undefined;
}

/** A verified client certificate, then static tokens, then ServiceAccount tokens (either token source may be absent). */
export class TokenAuthenticatorChain implements RequestAuthenticator {
  constructor(
    private readonly staticTokens: BearerAuthenticator | undefined,
    private readonly serviceAccountTokens: ServiceAccountTokens | undefined,
  ) {}

  userOf(authorization: string | undefined, verifiedClientCert?: PeerCertificate): Authentication {
    const certUser = userOfCertificate(verifiedClientCert);
    if (certUser) return certUser;
    const user = this.staticTokens?.userOf(authorization);
    if (user) return user;
    const token = bearerToken(authorization);
    if (token === undefined || !this.serviceAccountTokens?.claims(token)) return undefined;
    return this.serviceAccountTokens.authenticate(token);
  }
}
