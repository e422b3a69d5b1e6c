/**
 * The ingress controller's control loop: it keeps the routing table, the TLS certificates and
 * the Ingresses' status in step with the API.
 *
 * - At start it makes sure the IngressClass `bosun` exists (controller
 *   `bosun.dev/ingress-controller`, annotated as the default class), retrying until it does.
 * - Its Ingresses: those whose spec.ingressClassName (or legacy `kubernetes.io/ingress.class`
 *   annotation) names a class of this controller, and those naming no class while one of its
 *   classes is the default.
 * - Every change of an Ingress, IngressClass, Secret, Service or EndpointSlice schedules one
 *   rebuild of the whole RouteTable (coalesced: at most one per turn of the event loop), which
 *   is swapped in at once, so a request never sees half a configuration.
 * - A bad Ingress (a backend Service port the table lacks, a resource backend, a TLS Secret that
 *   is missing or not a usable kubernetes.io/tls Secret) gets a Warning Event naming the
 *   problem, once per distinct set of problems; its other rules keep working, as do the other
 *   Ingresses.
 * - With a publish address, each Ingress's status.loadBalancer.ingress is set to
 *   [{ip: publishAddress}] through the status subresource, only when it differs (a work queue
 *   per Ingress key, retried with backoff).
 */
import type * as tls from 'node:tls';
import type { Logger } from 'pino';
import { isAlreadyExists } from '../../lib/api/status';
import { RESOURCES } from '../../lib/api/resources';
import type { Secret } from '../../lib/api/types/core';
import { DEFAULT_INGRESS_CLASS_ANNOTATION, type Ingress, type IngressClass } from '../../lib/api/types/networking';
import type { ApiClient } from '../../lib/client/api-client';
import { realClock, type Clock, type Timer } from '../../lib/client/clock';
import type { EventRecorder } from '../../lib/client/events';
import { objectKey, splitObjectKey, type SharedInformer } from '../../lib/client/informer';
import { ControllerRunner } from '../../lib/controller/controller-runner';
import type { SharedInformerFactory } from '../../lib/controller/informer-factory';
import { writeStatus } from '../../lib/controller/status-writer';
import { feedServiceTable } from '../../lib/network/service-table-feed';
import type { ServiceTable } from '../../lib/network/service-table';
import type { IngressMetrics } from './ingress-metrics';
import { backendRef, RouteTable } from './route-table';
import { SecretContexts } from './tls-certificates';

/** The controller name IngressClasses name to be served by Bosun's ingress controller. */
export const INGRESS_CONTROLLER_NAME = 'bosun.dev/ingress-controller';
/** The IngressClass the controller makes at start. */
export const DEFAULT_INGRESS_CLASS_NAME = 'bosun';
/** The legacy annotation naming an Ingress's class. */
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
/** First and longest wait between attempts to create the IngressClass. */
export const ENSURE_CLASS_RETRY_BASE_MS = 500;
export const ENSURE_CLASS_RETRY_MAX_MS = 10_000;
/** The component name of the controller's Events. */
export const INGRESS_EVENT_COMPONENT = 'bosun-ingress-controller';

/** How the controller is built. */
export interface IngressControllerOptions {
  readonly client: ApiClient;
  /** The process' informers (started by the controller). */
  readonly informers: SharedInformerFactory;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly metrics: IngressMetrics;
  readonly clock?: Clock;
  /** The address written into status.loadBalancer.ingress ('' or absent: status untouched). */
  readonly publishAddress?: string;
  /** The IngressClass ensured at start (default `bosun`). */
  readonly className?: string;
}

/** One problem of an Ingress, reported as a Warning Event. */
export interface IngressProblem {
  readonly reason: 'ServiceNotFound' | 'UnsupportedBackend' | 'SecretNotFound' | 'InvalidSecret';
  readonly message: string;
}

/** What the status API shows. */
export interface IngressControllerStatus {
  readonly className: string;
  readonly publishAddress: string;
  readonly ingresses: readonly string[];
  readonly routes: ReturnType<RouteTable['routes']>;
  readonly tls: ReturnType<RouteTable['tlsRoutes']>;
  /** "namespace/name" → its current problems. */
  readonly problems: ReadonlyMap<string, readonly IngressProblem[]>;
}

/** The control loop. See the file comment. */
export class IngressController {
  /** Service ports and their endpoints, for the data path. */
  readonly services: ServiceTable;
  private table = new RouteTable([]);
  private readonly ingresses: SharedInformer<Ingress>;
  private readonly classes: SharedInformer<IngressClass>;
  private readonly secrets: SharedInformer<Secret>;
  private readonly contexts = new SecretContexts();
  private readonly statusRunner: ControllerRunner;
  private readonly className: string;
  private readonly clock: Clock;
  private served: string[] = [];
  private problems = new Map<string, readonly IngressProblem[]>();
  /** Fingerprint of the problems last reported per Ingress (report each set once). */
  private readonly reported = new Map<string, string>();
  private rebuildScheduled = false;
  private synced = false;
  private stopped = false;
  private ensureTimer: Timer | undefined;

  constructor(private readonly options: IngressControllerOptions) {
    this.className = options.className ?? DEFAULT_INGRESS_CLASS_NAME;
    this.clock = options.clock ?? realClock;
    const { informers } = options;
    this.ingresses = informers.informer<Ingress>(RESOURCES.ingresses);
    this.classes = informers.informer<IngressClass>(RESOURCES.ingressclasses);
    this.secrets = informers.informer<Secret>(RESOURCES.secrets);
    this.services = feedServiceTable(informers, () => this.scheduleRebuild());
    const changed = { onAdd: () => this.scheduleRebuild(), onUpdate: () => this.scheduleRebuild(), onDelete: () => this.scheduleRebuild() };
    this.ingresses.addEventHandler(changed);
    this.classes.addEventHandler(changed);
    this.secrets.addEventHandler(changed);
    this.statusRunner = new ControllerRunner<string>({
      name: 'ingress-status',
      reconcile: (key) => this.syncStatus(key),
      clock: this.clock,
      logger: options.logger.child({ part: 'status' }),
    });
  }

  /** Starts the informers, builds the first table once they synced, and starts writing status. */
  async start(): Promise<void> {
    this.ensureClass(0);
    this.options.informers.start();
    await this.options.informers.waitForCacheSync();
    this.synced = true;
    this.rebuild();
    this.statusRunner.start();
  }

  /** Stops the status writer and the class retries (the informers belong to the caller's factory). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ensureTimer?.cancel();
    await this.statusRunner.stop();
  }

  /** The current routing table. */
  routes(): RouteTable {
    return this.table;
  }

  /** The TLS context for an SNI name, from the Secret of the matching Ingress TLS entry; undefined → the default certificate. */
  certificateFor(servername: string): tls.SecureContext | undefined {
    const entry = this.table.tlsFor(servername);
    const secret = entry && this.secrets.lister.get(entry.namespace, entry.secretName);
    if (!secret) return undefined;
    const result = this.contexts.get(secret);
    return 'context' in result ? result.context : undefined;
  }

  /** What the status API reports. */
  status(): IngressControllerStatus {
    return {
      className: this.className,
      publishAddress: this.options.publishAddress ?? '',
      ingresses: this.served,
      routes: this.table.routes(),
      tls: this.table.tlsRoutes(),
      problems: this.problems,
    };
  }

  /** Whether `ing` is served by this controller (see the file comment). */
  isOurs(ing: Ingress): boolean {
    const name = ing.spec?.ingressClassName ?? ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
    const ours = this.classes.lister.list().filter((c) => c.spec?.controller === INGRESS_CONTROLLER_NAME);
    if (name) return ours.some((c) => c.metadata.name === name);
    return ours.some((c) => c.metadata.annotations?.[DEFAULT_INGRESS_CLASS_ANNOTATION] === 'true');
  }

  /** Creates the IngressClass unless it exists; retries with backoff while the API refuses. */
  private ensureClass(attempt: number): void {
    const cls: IngressClass = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: this.className, annotations: { [DEFAULT_INGRESS_CLASS_ANNOTATION]: 'true' } },
      spec: { controller: INGRESS_CONTROLLER_NAME },
    };
    this.options.client
      .resource<IngressClass>(RESOURCES.ingressclasses)
      .create(undefined, cls)
      .then(
        () => this.options.logger.info({ ingressClass: this.className }, 'created the IngressClass'),
        (err: unknown) => {
          if (isAlreadyExists(err) || this.stopped) return;
          const waitMs = Math.min(ENSURE_CLASS_RETRY_BASE_MS * 2 ** attempt, ENSURE_CLASS_RETRY_MAX_MS);
          this.options.logger.warn({ err: (err as Error).message, waitMs }, 'cannot create the IngressClass yet');
          this.ensureTimer = this.clock.setTimer(waitMs, () => this.ensureClass(attempt + 1));
        },
      );
  }

  private scheduleRebuild(): void {
    if (!this.synced || this.rebuildScheduled) return;
    this.rebuildScheduled = true;
    setImmediate(() => {
      this.rebuildScheduled = false;
      if (!this.stopped) this.rebuild();
    });
  }

  /** Recompiles the table from the served Ingresses, reports their problems and queues their status. */
  private rebuild(): void {
    this.services.takeChanges(); // the table is read whole; the change log is the proxy's concern
    const ours = this.ingresses.lister.list().filter((ing) => this.isOurs(ing));
    this.table = new RouteTable(ours);
    this.served = ours.map(objectKey).sort();
    this.options.metrics.reloaded(this.table.routes().length);
    const problems = new Map<string, readonly IngressProblem[]>();
    for (const ing of ours) {
      const found = this.problemsOf(ing);
      if (found.length > 0) problems.set(objectKey(ing), found);
      this.report(ing, found);
      this.statusRunner.enqueue(objectKey(ing));
    }
    this.problems = problems;
    for (const key of [...this.reported.keys()]) if (!this.served.includes(key)) this.reported.delete(key);
    this.contexts.retain(new Set(this.table.tlsRoutes().map((t) => `${t.namespace}/${t.secretName}`)));
  }

  /** The problems of one served Ingress. */
  problemsOf(ing: Ingress): IngressProblem[] {
    const namespace = ing.metadata.namespace ?? 'default';
    const out: IngressProblem[] = [];
    const backends = [ing.spec?.defaultBackend, ...(ing.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend))];
    const seen = new Set<string>();
    for (const b of backends) {
      if (!b) continue;
      const ref = backendRef(namespace, b);
      if (!ref) {
        if (b.resource) out.push({ reason: 'UnsupportedBackend', message: `resource backend ${b.resource.kind}/${b.resource.name} is not supported; only Service backends are served` });
        continue;
      }
      const id = `${ref.service}:${ref.port}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (!this.services.findPort(namespace, ref.service, ref.port)) out.push({ reason: 'ServiceNotFound', message: `service ${namespace}/${ref.service} has no port ${ref.port}` });
    }
    for (const t of ing.spec?.tls ?? []) {
      if (!t.secretName) continue;
      const secret = this.secrets.lister.get(namespace, t.secretName);
      if (!secret) {
        out.push({ reason: 'SecretNotFound', message: `secret ${namespace}/${t.secretName} not found; the default certificate is served instead` });
        continue;
      }
      const result = this.contexts.get(secret);
      if ('error' in result) out.push({ reason: 'InvalidSecret', message: `${result.error}; the default certificate is served instead` });
    }
    return out;
  }

  private report(ing: Ingress, problems: readonly IngressProblem[]): void {
    const key = objectKey(ing);
    const fingerprint = JSON.stringify(problems);
    if (this.reported.get(key) === fingerprint) return;
    this.reported.set(key, fingerprint);
    for (const p of problems) this.options.recorder.event(ing, 'Warning', p.reason, p.message);
  }

  /** Writes status.loadBalancer.ingress of one served Ingress when it differs from the publish address. */
  private async syncStatus(key: string): Promise<void> {
    const address = this.options.publishAddress;
    if (!address) return;
    const { namespace, name } = splitObjectKey(key);
    const ing = this.ingresses.lister.get(namespace, name);
    if (!ing || !this.isOurs(ing)) return;
    const current = ing.status?.loadBalancer?.ingress ?? [];
    if (current.length === 1 && current[0]!.ip === address && !current[0]!.hostname) return;
    await writeStatus(this.options.client.resource<Ingress>(RESOURCES.ingresses), ing, { loadBalancer: { ingress: [{ ip: address }] } });
  }
}
