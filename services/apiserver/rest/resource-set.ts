import { PodSecurityAdmission } from '../admission/pod-security/pod-security';
import type { EncryptionConfig } from '../encryption/encryption-config';
import { apiVersionOf, type KubeObject, type ResourceInfo } from '../../../lib/api/object';
import { isNotFound } from '../../../lib/api/status';
import type { Node } from '../../../lib/api/types/core';
import type { StoreClient, ClientLogger } from '../../../store/client';
import { AdmissionChain, type Admission } from '../admission/admission';
import { NamespaceLifecycle } from '../admission/namespace-lifecycle';
import { PriorityAdmission } from '../admission/priority';
import { DefaultTolerationSeconds } from '../admission/default-toleration-seconds';
import { DefaultIngressClass } from '../admission/default-ingress-class';
import { DefaultStorageClass } from '../admission/default-storage-class';
import { ServiceAccountAdmission } from '../admission/service-account';
import { NodeRestriction } from '../admission/node-restriction';
import { LimitRanger } from '../admission/limit-ranger';
import { ResourceQuotaAdmission } from '../admission/resource-quota';
import type { LimitRange, ResourceQuota } from '../../../lib/api/types/core';
import type { ServiceAccount } from '../../../lib/api/types/core';
import type { IngressClass } from '../../../lib/api/types/networking';
import type { StorageClass } from '../../../lib/api/types/storage';
import { appsStrategies } from '../kinds/apps';
import { autoscalingStrategies, type HorizontalPodAutoscaler } from '../kinds/autoscaling';
import { hpaFromV1, hpaToV1, type HorizontalPodAutoscalerV1 } from '../kinds/autoscaling/hpa-v1-conversion';
import { batchStrategies } from '../kinds/batch';
import { coordinationStrategies } from '../kinds/coordination';
import { discoveryStrategies } from '../kinds/discovery';
import { networkingStrategies } from '../kinds/networking';
import { storageStrategies } from '../kinds/storage';
import { coreStrategies, DEFAULT_EVENT_TTL_SECONDS, namespaceFinalizeStrategy, podBindingStrategy, type Namespace, type Pod } from '../kinds/core';
import { policyStrategies, type PodDisruptionBudget } from '../kinds/policy';
import { rbacStrategies } from '../kinds/rbac';
import { schedulingStrategies, type PriorityClass } from '../kinds/scheduling';
import { GenericStore, type ObjectExpiry } from '../registry/generic-store';
import { LeaseManager } from '../registry/lease-manager';
import type { Strategy } from '../registry/strategy';
import { WatchCache } from '../registry/watch-cache';
import { GenericRest, type GenericRestOptions } from './generic-rest';
import { NamespaceRest } from './namespace-rest';
import { PodRest, storeDisruptionBudgets } from './pod-rest';
import type { ResourceRest } from './resource-rest';
import { ScalableGenericRest } from './scalable-rest';
import { isVersionView, VersionViewRest, type VersionConverter } from './version-view-rest';

/** Every strategy the apiserver serves, in discovery order (core first, like Kubernetes). */
export const ALL_STRATEGIES: readonly Strategy[] = [
  ...coreStrategies,
  ...appsStrategies,
  ...batchStrategies,
  ...autoscalingStrategies,
  ...coordinationStrategies,
  ...rbacStrategies,
  ...schedulingStrategies,
  ...policyStrategies,
  ...discoveryStrategies,
  ...networkingStrategies,
  ...storageStrategies,
];

/** Kinds also served at another version than the stored one, over the same storage. */
const VERSION_VIEWS: readonly { group: string; resource: string; version: string; converter: VersionConverter }[] = [
  {
    group: 'autoscaling',
    resource: 'horizontalpodautoscalers',
    version: 'v1',
    converter: { toView: (o) => hpaToV1(o as HorizontalPodAutoscaler), fromView: (o) => hpaFromV1(o as HorizontalPodAutoscalerV1) },
  },
];

/** Kinds with the scale subresource, by "group/resource". */
const SCALABLE = new Set(['apps/deployments', 'apps/replicasets', 'apps/statefulsets', '/replicationcontrollers']);

/** Wraps a resource's generic REST (e.g. to add Service IP and port allocation). */
export type RestDecorator = (rest: GenericRestOptions<KubeObject>, build: () => ResourceRest) => ResourceRest;

/** Constructor parameters of a ResourceSet. */
export interface ResourceSetOptions {
  readonly client: StoreClient;
  readonly logger?: ClientLogger;
  readonly clock?: () => Date;
  /** Replaces how a resource's REST is built, by "group/resource" (e.g. "/services"). */
  readonly decorators?: Readonly<Record<string, RestDecorator>>;
  /** Seconds an Event lives after its last write (default DEFAULT_EVENT_TTL_SECONDS). */
  readonly eventTtlSeconds?: number;
  /** Called whenever a watch of any resource ends. */
  readonly onWatchEnded?: () => void;
  /** Wraps each stored resource's REST as the doors call it (authorization). */
  readonly wrap?: (rest: ResourceRest) => ResourceRest;
  /** Which resources are encrypted at rest, and how (--encryption-provider-config). */
  readonly encryption?: EncryptionConfig;
  /** ServiceAccount admission adds the projected token volume to pods (the apiserver can sign tokens). */
  readonly serviceAccountTokenVolumes?: boolean;
  /** Runs NodeRestriction admission (with the Node authorization mode). */
  readonly nodeRestriction?: boolean;
}

/** Kinds whose objects expire, by "group/resource" (Kubernetes gives Events a TTL). */
const EXPIRING: ReadonlySet<string> = new Set(['/events']);

/**
 * Every resource the apiserver serves: for each kind one GenericStore, one WatchCache and the
 * ResourceRest both front doors call, plus the admission chain they share, and one store-lease
 * manager for the kinds whose objects expire (Events). Lookups by group/resource (paths) and by
 * apiVersion/kind (bodies).
 */
export class ResourceSet {
  private readonly rests: ResourceRest[] = [];
  private readonly caches: WatchCache<KubeObject>[] = [];
  private readonly byGroupResource = new Map<string, ResourceRest>();
  private readonly byApiVersionKind = new Map<string, ResourceRest>();
  readonly admission: Admission;
  private readonly cachesByGroupResource = new Map<string, WatchCache<KubeObject>>();
  private readonly unstored = new Set<ResourceRest>();
  private readonly stores = new Map<string, GenericStore<KubeObject>>();

  constructor(options: ResourceSetOptions) {
    const { client, logger, clock } = options;
    const expiry: ObjectExpiry = { ttlSeconds: options.eventTtlSeconds ?? DEFAULT_EVENT_TTL_SECONDS, leases: new LeaseManager({ granter: client, now: clock && (() => clock().getTime()) }) };
    const stores = this.stores;
    const cachesByKey = new Map<string, WatchCache<KubeObject>>();
    for (const strategy of ALL_STRATEGIES) {
      const key = groupResource(strategy.info);
      const transformer = options.encryption?.transformerFor(strategy.info.group, strategy.info.resource);
      const cache = new WatchCache({ client, strategy, logger, onWatcherEnded: options.onWatchEnded, transformer });
      const cached = (namespace: string | undefined, name: string) => cache.getCached(namespace, name);
      stores.set(key, new GenericStore({ client, strategy, clock, expiry: EXPIRING.has(key) ? expiry : undefined, transformer, cached }));
      cachesByKey.set(key, cache);
      this.cachesByGroupResource.set(key, cache);
      this.caches.push(cache);
    }
    const namespaces = stores.get('/namespaces') as unknown as GenericStore<Namespace>;
    const namespaceCache = cachesByKey.get('/namespaces') as unknown as WatchCache<Namespace>;
    const classes = stores.get('scheduling.k8s.io/priorityclasses') as unknown as GenericStore<PriorityClass>;
    const classCache = cachesByKey.get('scheduling.k8s.io/priorityclasses') as unknown as WatchCache<PriorityClass>;
    const serviceAccounts = stores.get('/serviceaccounts') as unknown as GenericStore<ServiceAccount>;
    const serviceAccountCache = cachesByKey.get('/serviceaccounts') as unknown as WatchCache<ServiceAccount>;
    const ingressClassCache = cachesByKey.get('networking.k8s.io/ingressclasses') as unknown as WatchCache<IngressClass>;
    const limitRangeCache = cachesByKey.get('/limitranges') as unknown as WatchCache<LimitRange>;
    const quotaStore = stores.get('/resourcequotas') as unknown as GenericStore<ResourceQuota>;
    const quotaCache = cachesByKey.get('/resourcequotas') as unknown as WatchCache<ResourceQuota>;
    const storageClassCache = cachesByKey.get('storage.k8s.io/storageclasses') as unknown as WatchCache<StorageClass>;
    const podCache = cachesByKey.get('/pods') as unknown as WatchCache<Pod>;
    const nodeStore = stores.get('/nodes') as unknown as GenericStore<Node>;
    const nodeCache = cachesByKey.get('/nodes') as unknown as WatchCache<Node>;
    // One way to find a namespace for every admission plugin: the cache, then the store.
    const namespaceLookup = { cached: (name: string) => namespaceCache.getCached(undefined, name), read: (name: string) => readIfExists(namespaces, name) };
    this.admission = new AdmissionChain([
      new NamespaceLifecycle(namespaceLookup),
      ...(options.nodeRestriction ? [new NodeRestriction(async (name) => nodeCache.getCached(undefined, name) ?? (await readIfExists(nodeStore, name)))] : []),
      new ServiceAccountAdmission(async (namespace, name) => serviceAccountCache.getCached(namespace, name) ?? (await readIfExists(serviceAccounts, name, namespace)), options.serviceAccountTokenVolumes),
      new DefaultTolerationSeconds(),
      new DefaultIngressClass(async () => (await ingressClassCache.list()).items),
      new DefaultStorageClass(async () => (await storageClassCache.list()).items),
      new PriorityAdmission({
        get: async (name) => classCache.getCached(undefined, name) ?? (await readIfExists(classes, name)),
        cached: async () => (await classCache.list()).items,
        stored: async () => (await classes.list()).items,
      }),
      // What the caches hold now (never waiting: a ResourceSet whose caches are not started sees none).
      new LimitRanger(async (namespace) => limitRangeCache.cachedObjects(namespace)),
      new PodSecurityAdmission({
        namespace: async (name) => namespaceLookup.cached(name) ?? (await namespaceLookup.read(name)),
        pods: async (namespace) => podCache.cachedObjects(namespace),
      }),
      new ResourceQuotaAdmission(
        {
          list: async (namespace) => quotaCache.cachedObjects(namespace),
          updateStatus: async (namespace, name, mutate) => {
            await quotaStore.guaranteedUpdate(namespace, name, mutate, { subresource: 'status' });
          },
        },
        clock && (() => clock().getTime()),
      ),
    ]);

    for (const strategy of ALL_STRATEGIES) {
      const key = groupResource(strategy.info);
      const restOptions: GenericRestOptions<KubeObject> = { store: stores.get(key)!, cache: cachesByKey.get(key)!, client, admission: this.admission };
      const build = (): ResourceRest => {
        if (key === '/pods') {
          const podCache = cachesByKey.get(key) as unknown as WatchCache<Pod>;
          const bindingStore = new GenericStore<Pod>({ client, strategy: podBindingStrategy, clock, cached: (ns, name) => podCache.getCached(ns, name) });
          const budgets = storeDisruptionBudgets(stores.get('policy/poddisruptionbudgets') as unknown as GenericStore<PodDisruptionBudget>);
          const nodes = async (name: string) => nodeCache.getCached(undefined, name) ?? (await readIfExists(nodeStore, name));
          return new PodRest({ ...(restOptions as unknown as GenericRestOptions<Pod>), bindingStore, budgets, clock, nodes }) as unknown as ResourceRest;
        }
        if (key === '/namespaces') {
          const finalizeStore = new GenericStore<Namespace>({ client, strategy: namespaceFinalizeStrategy, clock });
          const purgeNamespace = async (ns: string): Promise<void> => {
            for (const store of stores.values()) {
              const removed = await store.purgeCorrupt(ns);
              if (removed.length > 0) logger?.warn({ namespace: ns, keys: removed }, 'removed corrupt objects of a deleted namespace');
            }
          };
          return new NamespaceRest({ ...(restOptions as unknown as GenericRestOptions<Namespace>), finalizeStore, purgeNamespace }) as unknown as ResourceRest;
        }
        if (SCALABLE.has(key)) return new ScalableGenericRest({ ...restOptions, subresources: ['status', 'scale'] }) as unknown as ResourceRest;
        return new GenericRest(restOptions);
      };
      const decorate = options.decorators?.[key];
      const built = decorate ? decorate(restOptions, build) : build();
      const rest = options.wrap ? options.wrap(built) : built;
      this.rests.push(rest);
      this.byGroupResource.set(key, rest);
      this.byApiVersionKind.set(`${apiVersionOf(strategy.info)}/${strategy.info.kind}`, rest);
    }
    for (const { group, resource, version, converter } of VERSION_VIEWS) {
      const storage = this.byGroupResource.get(`${group}/${resource}`)!;
      const view = new VersionViewRest({ ...storage.info, version }, storage, converter);
      this.rests.push(view);
      this.byApiVersionKind.set(`${apiVersionOf(view.info)}/${view.info.kind}`, view);
    }
  }

  /** Starts every watch cache; resolves once all have loaded their first list. */
  async start(): Promise<void> {
    await Promise.all(this.caches.map((c) => c.start()));
  }

  /** Stops every watch cache (ending their watchers). */
  stop(): void {
    for (const c of this.caches) c.stop();
  }

  /** Every served resource and version view, in discovery order (stored versions first). */
  all(): readonly ResourceRest[] {
    return this.rests;
  }

  /** The resource at a path's group and plural resource name ("" for the core group), at its stored version. */
  byResource(group: string, resource: string): ResourceRest | undefined {
    return this.byGroupResource.get(`${group}/${resource}`);
  }

  /** The resource as served at group/version (the stored version or a version view). */
  byVersion(group: string, version: string, resource: string): ResourceRest | undefined {
    return this.rests.find((r) => r.info.group === group && r.info.version === version && r.info.resource === resource);
  }

  /** The watch cache of a stored resource (readers answering from memory, such as the authorizer). */
  cacheOf<T extends KubeObject = KubeObject>(group: string, resource: string): WatchCache<T> | undefined {
    return this.cachesByGroupResource.get(`${group}/${resource}`) as WatchCache<T> | undefined;
  }

  /**
   * The object as the apiserver sees it now, for its own checks (token authentication): the
   * cache first, then the store when the cache has not seen it yet; undefined when absent.
   */
  async readFresh<T extends KubeObject = KubeObject>(group: string, resource: string, namespace: string | undefined, name: string): Promise<T | undefined> {
    const key = `${group}/${resource}`;
    const store = this.stores.get(key);
    if (!store) throw new Error(`readFresh: ${key} is not a stored resource`);
    return ((this.cachesByGroupResource.get(key)?.getCached(namespace, name) as T | undefined) ?? (await readIfExists(store, name, namespace))) as T | undefined;
  }

  /** The resources at their stored version only (each has its own gRPC service). */
  stored(): readonly ResourceRest[] {
    return this.rests.filter((r) => !isVersionView(r) && !this.unstored.has(r));
  }

  /**
   * Adds resources that are answered, never stored (the access reviews): served by the HTTP
   * door and listed in discovery, with no watch cache and no gRPC service of their own.
   */
  addUnstored(rests: readonly ResourceRest[]): void {
    for (const rest of rests) {
      this.rests.push(rest);
      this.unstored.add(rest);
    }
  }

  /** The resource of a body's apiVersion and kind. */
  byKind(apiVersion: string, kind: string): ResourceRest | undefined {
    return this.byApiVersionKind.get(`${apiVersion}/${kind}`);
  }
}

/** The stored object `name` of a cluster-scoped kind, or undefined when there is none. */
async function readIfExists<T extends KubeObject>(store: GenericStore<T>, name: string, namespace?: string): Promise<T | undefined> {
  try {
    return await store.get(namespace, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** "group/resource", the key of a resource in lookups ("/pods" for the core group). */
export function groupResource(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return `${info.group}/${info.resource}`;
}
