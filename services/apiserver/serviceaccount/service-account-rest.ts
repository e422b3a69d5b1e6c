/**
 * ServiceAccounts as both doors serve them: the generic registry plus the `token` subresource
 * (Kubernetes' TokenREST), whose rules live in ServiceAccountTokens. Installed as the
 * `/serviceaccounts` RestDecorator of the ResourceSet, so authorization (`create` on
 * `serviceaccounts/token`) and audit wrap it like every other operation.
 */
import type { KubeObject } from '../../../lib/api/object';
import type { ServiceAccount } from '../../../lib/api/types/core';
import { GenericRest, typedBody, type GenericRestOptions } from '../rest/generic-rest';
import type { TokenRequestRest, WriteOptions } from '../rest/resource-rest';
import type { RestDecorator } from '../rest/resource-set';
import type { ServiceAccountTokens } from './service-account-tokens';
import { TOKEN_REQUEST_KIND, type TokenRequest } from './token-request';

export class ServiceAccountRest extends GenericRest<ServiceAccount> implements TokenRequestRest {
  constructor(
    options: GenericRestOptions<ServiceAccount>,
    private readonly tokens: ServiceAccountTokens,
  ) {
    super({ ...options, subresources: ['token'] });
  }

  /** Answers a TokenRequest for the ServiceAccount `name` (a dry run is answered the same: nothing is stored either way). */
  async createToken(namespace: string | undefined, name: string, body: KubeObject, _opts: WriteOptions = {}): Promise<KubeObject> {
    const request = typedBody<TokenRequest>(body, { ...this.info, group: 'authentication.k8s.io', version: 'v1' }, TOKEN_REQUEST_KIND);
    return this.tokens.createToken(this.requestNamespace(namespace) ?? '', name, request);
  }
}

/** The RestDecorator that serves ServiceAccounts with their token subresource. */
export function serviceAccountRestDecorator(tokens: ServiceAccountTokens): RestDecorator {
  return (options) => new ServiceAccountRest(options as unknown as GenericRestOptions<ServiceAccount>, tokens) as unknown as ReturnType<RestDecorator>;
}
