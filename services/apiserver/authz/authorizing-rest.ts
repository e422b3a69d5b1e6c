/**
 * Authorization in front of a resource's REST: every operation both doors call is first put to
 * the authorizer as Kubernetes' attributes (verb, group, resource, subresource, namespace,
 * name) for the request's user, and refused with 403 Forbidden and Kubernetes' message when
 * denied. Calls made outside any request (the apiserver's own bootstrap and controllers) are
 * the server itself and pass.
 */
import { ApiError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import { requestUser, type UserInfo } from '../authn/request-user';
import type { ResourceRest } from '../rest/resource-rest';
import { type Attributes, type Authorizer, forbiddenMessage } from './authorizer';

/** How a method's arguments map to a verb, a subresource and a name. */
type Describe = (args: unknown[]) => { verb: string; subresource?: string; name?: string };

const subresourceOf = (opts: unknown): string | undefined => (opts as { subresource?: string } | undefined)?.subresource;

/** The operations of ResourceRest and its subresource interfaces (namespace first, except finalize). */
const METHODS: Readonly<Record<string, Describe>> = {
  create: () => ({ verb: 'create' }),
  get: ([, name]) => ({ verb: 'get', name: name as string }),
  list: () => ({ verb: 'list' }),
  watch: () => ({ verb: 'watch' }),
  update: ([, name, , opts]) => ({ verb: 'update', name: name as string, subresource: subresourceOf(opts) }),
  patch: ([, name, , , opts]) => ({ verb: 'patch', name: name as string, subresource: subresourceOf(opts) }),
  delete: ([, name]) => ({ verb: 'delete', name: name as string }),
  deleteCollection: () => ({ verb: 'deletecollection' }),
  getScale: ([, name]) => ({ verb: 'get', name: name as string, subresource: 'scale' }),
  updateScale: ([, name]) => ({ verb: 'update', name: name as string, subresource: 'scale' }),
  patchScale: ([, name]) => ({ verb: 'patch', name: name as string, subresource: 'scale' }),
  bind: ([, name]) => ({ verb: 'create', name: name as string, subresource: 'binding' }),
  evict: ([, name]) => ({ verb: 'create', name: name as string, subresource: 'eviction' }),
  createToken: ([, name]) => ({ verb: 'create', name: name as string, subresource: 'token' }),
  // Reading a log is a get; exec, attach and port-forward start something in the pod: create.
  connect: ([, name, sub]) => ({ verb: sub === 'log' ? 'get' : 'create', name: name as string, subresource: sub as string }),
};

/**
 * A check of what a write would store (RBAC's escalation prevention): undefined to allow, else
 * why not. Create and update are checked on their body; a patch on its dry-run result.
 */
export type WriteCheck = (user: UserInfo, namespace: string | undefined, obj: KubeObject) => string | undefined;

/** What one call of a REST method asks for, in Kubernetes' request attributes. */
export interface CallDescription {
  readonly verb: string;
  readonly subresource?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/** The description of `rest.<property>(...args)`, or undefined when the property is not an API operation. */
export function describeCall(info: ResourceRest['info'], property: string, args: unknown[]): CallDescription | undefined {
  const describe = property === 'finalize' ? finalizeDescription : METHODS[property];
  if (!describe) return undefined;
  const namespace = info.namespaced && property !== 'finalize' ? (args[0] as string | undefined) : undefined;
  return { ...describe(args), namespace: namespace || undefined };
}

/** `rest` with every operation authorized first (see the file comment), and its writes checked by `writeCheck` when given. */
export function authorizingRest<T extends KubeObject>(rest: ResourceRest<T>, authorizer: Authorizer, writeCheck?: WriteCheck): ResourceRest<T> {
  const { group, resource } = rest.info;
  return new Proxy(rest, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== 'string' || typeof value !== 'function') return value;
      if (!describeCall(rest.info, property, [])) return value;
      return (...args: unknown[]) => {
        const user = requestUser();
        if (user) {
          const d = describeCall(rest.info, property, args)!;
          const attrs: Attributes = { user, verb: d.verb, resourceRequest: true, apiGroup: group, resource, subresource: d.subresource, namespace: d.namespace, name: d.name };
          const decision = authorizer.authorize(attrs);
          if (!decision.allowed) return Promise.reject(new ApiError(403, 'Forbidden', forbiddenMessage(attrs, decision.reason), { name: d.name, group, kind: resource }));
          if (writeCheck && (property === 'create' || property === 'update' || property === 'patch')) return checkedWrite(target, property, args, attrs, writeCheck);
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** Namespaces' finalize(name, namespace): an update of namespaces/finalize. */
const finalizeDescription: Describe = ([name]) => ({ verb: 'update', name: name as string, subresource: 'finalize' });

/** Runs a create, update or patch once `check` accepts what it would store. */
async function checkedWrite<T extends KubeObject>(rest: ResourceRest<T>, method: 'create' | 'update' | 'patch', args: unknown[], attrs: Attributes, check: WriteCheck): Promise<T> {
  let stored: KubeObject;
  if (method === 'create') stored = args[1] as KubeObject;
  else if (method === 'update') stored = args[2] as KubeObject;
  else {
    const [namespace, name, patchType, patch, opts] = args as Parameters<ResourceRest<T>['patch']>;
    stored = await rest.patch(namespace, name, patchType, patch, { ...opts, dryRun: true });
  }
  const refusal = check(attrs.user, attrs.namespace, stored);
  if (refusal) throw new ApiError(403, 'Forbidden', forbiddenMessage(attrs, refusal), { name: attrs.name ?? stored.metadata?.name, group: attrs.apiGroup, kind: attrs.resource });
  return (rest[method] as (...a: unknown[]) => Promise<T>).apply(rest, args);
}
