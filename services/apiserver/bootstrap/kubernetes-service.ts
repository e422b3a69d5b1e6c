import { AlreadyExistsError, ApiError, ConflictError, NotFoundError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import type { ClientLogger, KeepAliveHandle, StoreClient } from '../../../store/client';
import { formatIpv4, parseIpv4 } from '../allocators/item-range';
import type { EndpointSubset, Endpoints } from '../kinds/core/endpoints';
import type { Service } from '../kinds/core/service';
import { canonicalJson } from '../registry/object-codec';
import { REGISTRY_ROOT } from '../registry/storage-keys';
import { storeCall } from '../registry/store-error-mapping';
import type { ResourceRest } from '../rest/resource-rest';
import { ensureSystemNamespaces } from './system-namespaces';

/** Where each live apiserver keeps its lease key: `<prefix><ip>:<port>`. */
export const MASTER_LEASES_PREFIX = `${REGISTRY_ROOT}/masterleases/`;
/** TTL of an apiserver's lease, in seconds (Kubernetes' master lease: 15 s). */
export const MASTER_LEASE_TTL_SECONDS = 15;
/** How often the kubernetes Endpoints are reconciled with the live leases (Kubernetes: 10 s). */
export const ENDPOINT_RECONCILE_INTERVAL_MS = 10_000;
/** Namespace and name of the kubernetes Service and its Endpoints. */
export const KUBERNETES_SERVICE_NAMESPACE = 'default';
export const KUBERNETES_SERVICE_NAME = 'kubernetes';
/** Port of the kubernetes Service and the name of its (only) port. */
export const KUBERNETES_SERVICE_PORT = 443;
export const KUBERNETES_PORT_NAME = 'https';
/** Default ClusterIP of the kubernetes Service: the first usable address of the default service CIDR. */
export const DEFAULT_KUBERNETES_SERVICE_IP = '10.43.0.1';
/** Endpoint writes tried per reconcile before waiting for the next one (another apiserver raced). */
const ENDPOINT_WRITE_ATTEMPTS = 3;
/** Creates of the kubernetes Service tried while another apiserver's create of it is in flight. */
const SERVICE_CREATE_ATTEMPTS = 10;
const SERVICE_CREATE_RETRY_MS = 200;

/** The resources the controller writes through (a ResourceSet fits). */
export interface BootstrapResources {
  byResource(group: string, resource: string): ResourceRest | undefined;
}

/** Constructor parameters of a KubernetesServiceController. */
export interface KubernetesServiceOptions {
  /** This apiserver's store client (it holds the lease). */
  readonly client: StoreClient;
  /** Where namespaces, services and endpoints are written (the apiserver's ResourceSet). */
  readonly resources: BootstrapResources;
  /** This apiserver's IPv4 address as clients reach it (an Endpoints address). */
  readonly address: string;
  /** This apiserver's API port (the Endpoints port; the Service's targetPort when this one creates it). */
  readonly port: number;
  /** ClusterIP of the kubernetes Service (default DEFAULT_KUBERNETES_SERVICE_IP; pass ServiceAllocators.kubernetesServiceIp). */
  readonly serviceIp?: string;
  readonly leaseTtlSeconds?: number;
  readonly reconcileIntervalMs?: number;
  readonly logger?: ClientLogger;
}

/**
 * Kubernetes' bootstrap controller and lease endpoint reconciler, for one apiserver: at start
 * it creates the system namespaces and the `kubernetes` Service in `default` (if absent), keeps
 * a store lease on `/registry/masterleases/<ip>:<port>` alive while it runs, and every
 * reconcile interval (and at start) rewrites the `kubernetes` Endpoints from the live lease
 * keys when they differ. The Endpoints are a pure function of the keys (one subset per port,
 * ports ascending, addresses in numeric order), so replicas agree and never fight. A lost
 * lease (the store expired it) is granted again at the next reconcile. stop() revokes the
 * lease and writes the Endpoints without this apiserver.
 */
export class KubernetesServiceController {
  private readonly client: StoreClient;
  private readonly namespaces: ResourceRest;
  private readonly services: ResourceRest;
  private readonly endpoints: ResourceRest;
  private readonly address: string;
  private readonly port: number;
  private readonly serviceIp: string;
  private readonly ttl: number;
  private readonly intervalMs: number;
  private readonly logger: ClientLogger | undefined;
  private lease: { id: number; keep: KeepAliveHandle } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private pass: Promise<void> | undefined;

  constructor(options: KubernetesServiceOptions) {
    const need = (resource: string) => {
      const rest = options.resources.byResource('', resource);
      if (!rest) throw new Error(`KubernetesServiceController: the resources do not serve ${resource}`);
      return rest;
    };
    if (parseIpv4(options.address) === undefined) throw new Error(`KubernetesServiceController: address ${options.address} is not an IPv4 address`);
    this.client = options.client;
    this.namespaces = need('namespaces');
    this.services = need('services');
    this.endpoints = need('endpoints');
    this.address = options.address;
    this.port = options.port;
    this.serviceIp = options.serviceIp ?? DEFAULT_KUBERNETES_SERVICE_IP;
    this.ttl = options.leaseTtlSeconds ?? MASTER_LEASE_TTL_SECONDS;
    this.intervalMs = options.reconcileIntervalMs ?? ENDPOINT_RECONCILE_INTERVAL_MS;
    this.logger = options.logger;
  }

  /** This apiserver's lease key. */
  get leaseKey(): string {
    return `${MASTER_LEASES_PREFIX}${this.address}:${this.port}`;
  }

  /**
   * Creates the system namespaces and the kubernetes Service if absent, takes the lease,
   * reconciles the Endpoints once and starts the periodic reconcile. Throws (and leaves
   * nothing running) when the store refuses.
   */
  async start(): Promise<void> {
    if (this.running) return;
    await ensureSystemNamespaces(this.namespaces);
    await this.ensureService();
    this.running = true;
    try {
      await this.reconcile();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.timer = setInterval(() => {
      this.reconcile().catch((err) => this.logger?.warn({ err: String(err) }, 'kubernetes endpoints reconcile failed'));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the loop, revokes the lease (best effort) and writes the Endpoints without this apiserver. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.pass?.catch(() => undefined);
    const lease = this.lease;
    this.lease = undefined;
    if (!lease) return;
    lease.keep.stop();
    try {
      await this.client.revoke(lease.id);
      await this.reconcile();
    } catch (err) {
      this.logger?.warn({ err: String(err) }, 'could not remove this apiserver from the kubernetes endpoints; its lease will expire');
    }
  }

  /**
   * One reconcile pass: renews the lease key if the lease was lost (while running), then writes
   * the kubernetes Endpoints from the live lease keys if they differ. Passes never overlap.
   */
  reconcile(): Promise<void> {
    const prev = this.pass ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.reconcileOnce());
    this.pass = next;
    return next;
  }

  private async reconcileOnce(): Promise<void> {
    if (this.running && !this.lease) await this.register();
    for (let attempt = 1; attempt <= ENDPOINT_WRITE_ATTEMPTS; attempt++) {
      const desired = endpointSubsets(await this.liveApiservers());
      try {
        await this.writeEndpoints(desired);
        return;
      } catch (err) {
        // Another apiserver wrote first: read again and compare.
        if (!(err instanceof ConflictError || err instanceof AlreadyExistsError) || attempt === ENDPOINT_WRITE_ATTEMPTS) throw err;
      }
    }
  }

  /** Grants a lease, writes this apiserver's key on it and keeps it alive. */
  private async register(): Promise<void> {
    const grant = await storeCall(() => this.client.grant(this.ttl));
    await storeCall(() => this.client.put(this.leaseKey, JSON.stringify({ ip: this.address, port: this.port }), { lease: grant.id }));
    const keep = this.client.keepAlive(grant.id);
    const lease = { id: grant.id, keep };
    this.lease = lease;
    void keep.closed.then((err) => {
      if (err && this.lease === lease) {
        this.logger?.warn({ lease: grant.id, err: String(err) }, 'apiserver lease lost; registering again');
        this.lease = undefined;
      }
    });
  }

  /** host:port of every apiserver with a live lease key. */
  private async liveApiservers(): Promise<{ ip: string; port: number }[]> {
    const res = await storeCall(() => this.client.get(MASTER_LEASES_PREFIX, { prefix: true, keysOnly: true }));
    const out: { ip: string; port: number }[] = [];
    for (const kv of res.kvs) {
      const hostPort = kv.key.toString('utf8').slice(MASTER_LEASES_PREFIX.length);
      const colon = hostPort.lastIndexOf(':');
      const ip = hostPort.slice(0, colon);
      const port = Number(hostPort.slice(colon + 1));
      if (colon > 0 && parseIpv4(ip) !== undefined && Number.isInteger(port) && port > 0 && port < 65536) out.push({ ip, port });
    }
    return out;
  }

  private async writeEndpoints(subsets: EndpointSubset[]): Promise<void> {
    const ns = KUBERNETES_SERVICE_NAMESPACE;
    const name = KUBERNETES_SERVICE_NAME;
    let current: Endpoints | undefined;
    try {
      current = (await this.endpoints.get(ns, name)) as Endpoints;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (!current) {
      await this.endpoints.create(ns, {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name, namespace: ns, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
        subsets,
      } as Endpoints);
      return;
    }
    if (canonicalJson(current.subsets ?? []) === canonicalJson(subsets)) return;
    await this.endpoints.update(ns, name, { ...current, subsets } as KubeObject);
  }

  /** Creates the kubernetes Service unless it exists (an existing one is left as it is). */
  private async ensureService(): Promise<void> {
    const service: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: KUBERNETES_SERVICE_NAME, namespace: KUBERNETES_SERVICE_NAMESPACE, labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: {
        type: 'ClusterIP',
        clusterIP: this.serviceIp,
        clusterIPs: [this.serviceIp],
        sessionAffinity: 'None',
        ports: [{ name: KUBERNETES_PORT_NAME, port: KUBERNETES_SERVICE_PORT, protocol: 'TCP', targetPort: this.port }],
      },
    };
    for (let attempt = 1; ; attempt++) {
      if (await this.serviceExists()) return;
      try {
        await this.services.create(KUBERNETES_SERVICE_NAMESPACE, service);
        return;
      } catch (err) {
        if (err instanceof AlreadyExistsError) return;
        // Two apiservers creating it at once: the loser finds the IP taken by the winner, whose
        // Service may not be written yet; look again shortly.
        if (!(err instanceof ApiError && err.code === 422) || attempt >= SERVICE_CREATE_ATTEMPTS) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, SERVICE_CREATE_RETRY_MS));
    }
  }

  private async serviceExists(): Promise<boolean> {
    try {
      await this.services.get(KUBERNETES_SERVICE_NAMESPACE, KUBERNETES_SERVICE_NAME);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }
}

/**
 * The kubernetes Endpoints subsets of a set of apiservers: one subset per port (ascending),
 * each with its addresses in numeric order, the port named "https" over TCP. Deterministic, so
 * every replica computes the same value from the same keys.
 */
export function endpointSubsets(apiservers: readonly { ip: string; port: number }[]): EndpointSubset[] {
  const byPort = new Map<number, Set<number>>();
  for (const a of apiservers) {
    const ip = parseIpv4(a.ip);
    if (ip === undefined) continue;
    if (!byPort.has(a.port)) byPort.set(a.port, new Set());
    byPort.get(a.port)!.add(ip);
  }
  return [...byPort.keys()]
    .sort((x, y) => x - y)
    .map((port) => ({
      addresses: [...byPort.get(port)!].sort((x, y) => x - y).map((ip) => ({ ip: formatIpv4(ip) })),
      ports: [{ name: KUBERNETES_PORT_NAME, port, protocol: 'TCP' }],
    }));
}
