/**
 * Where pod setup reads the objects a pod refers to (ConfigMaps, Secrets, Services, claims and
 * volumes). Absence is a value (undefined) so the callers can word Kubernetes' messages and
 * honour `optional`; any other API failure is thrown and the worker retries.
 */
import { RESOURCES } from '../../../lib/api/resources';
import { isNotFound } from '../../../lib/api/status';
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Secret, Service } from '../../../lib/api/types';
import type { ApiClient } from '../../../lib/client/api-client';
import type { SharedInformerFactory } from '../../../lib/controller/informer-factory';

export interface PodObjectSource {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  /** Every Service of `namespace`. */
  services(namespace: string): Promise<Service[]>;
  /** The Service `namespace/name`, or undefined. */
  service(namespace: string, name: string): Promise<Service | undefined>;
  persistentVolumeClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
  persistentVolume(name: string): Promise<PersistentVolume | undefined>;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Objects read straight through `client` on every call: always current, so a ConfigMap change is
 * seen by the next setUpVolumes. (An informer-backed source can replace it to save calls.)
 */
export function apiObjectSource(client: ApiClient): PodObjectSource {
  return {
    configMap: (ns, name) => orUndefined(client.resource<ConfigMap>(RESOURCES.configmaps).get(ns, name)),
    secret: (ns, name) => orUndefined(client.resource<Secret>(RESOURCES.secrets).get(ns, name)),
    services: async (ns) => (await client.resource<Service>(RESOURCES.services).list(ns)).items,
    service: (ns, name) => orUndefined(client.resource<Service>(RESOURCES.services).get(ns, name)),
    persistentVolumeClaim: (ns, name) => orUndefined(client.resource<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims).get(ns, name)),
    persistentVolume: (name) => orUndefined(client.resource<PersistentVolume>(RESOURCES.persistentvolumes).get(undefined, name)),
  };
}

/**
 * Objects read from shared informers (one list+watch per kind instead of a call per sync). The
 * caller starts the factory and waits for its caches; until then everything reads as absent.
 * Handlers on the same informers tell the agent when to re-sync pods (a ConfigMap changed).
 */
export function informerObjectSource(informers: SharedInformerFactory): PodObjectSource {
  const configMaps = informers.informer<ConfigMap>(RESOURCES.configmaps);
  const secrets = informers.informer<Secret>(RESOURCES.secrets);
  const services = informers.informer<Service>(RESOURCES.services);
  const claims = informers.informer<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims);
  const volumes = informers.informer<PersistentVolume>(RESOURCES.persistentvolumes);
  return {
    configMap: async (ns, name) => configMaps.lister.get(ns, name),
    secret: async (ns, name) => secrets.lister.get(ns, name),
    services: async (ns) => services.lister.listInNamespace(ns),
    service: async (ns, name) => services.lister.get(ns, name),
    persistentVolumeClaim: async (ns, name) => claims.lister.get(ns, name),
    persistentVolume: async (name) => volumes.lister.get('', name),
  };
}

/** A Secret's values as bytes (`data` is base64; `stringData` wins, as the apiserver merges it). */
export function secretBytes(secret: Secret): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  return out;
}

/** A ConfigMap's values as bytes (`data` as UTF-8, `binaryData` base64). */
export function configMapBytes(cm: ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}
