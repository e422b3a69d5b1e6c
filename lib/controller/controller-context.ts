/**
 * What every controller is built from: one set of shared parts per controller-manager
 * leadership term, handed to each controller's constructor by the registry.
 */
import type { Logger } from 'pino';
import type { ApiClient } from '../client/api-client';
import type { Clock } from '../client/clock';
import type { EventRecorder } from '../client/events';
import type { WorkQueueMetrics } from '../metrics/work-queue-metrics';
import type { SharedInformerFactory } from './informer-factory';

/** The shared parts a controller is constructed with. */
export interface ControllerContext {
  /** The API (gRPC in the controller-manager; the in-memory fake in unit tests). */
  readonly client: ApiClient;
  /** The process' informers: ask it for every kind the controller reads. */
  readonly informers: SharedInformerFactory;
  /** An Event recorder writing as `component` (Kubernetes' names, e.g. "replicaset-controller"). */
  recorder(component: string): EventRecorder;
  /** The controller-manager's logger; a controller derives `logger.child({ controller: name })`. */
  readonly logger: Logger;
  /** Time for queues, expectations and deadlines (a FakeClock in tests). */
  readonly clock: Clock;
  /**
   * The workqueue_* metrics of the queue `name` (pass them to the ControllerRunner); undefined
   * when the process exposes no metrics (tests).
   */
  workQueueMetrics?(name: string): WorkQueueMetrics | undefined;
}

/** A running controller: started when its replica leads, stopped when it no longer does. */
export interface Controller {
  /**
   * Waits for the caches the controller reads (the informer factory is started by whoever
   * runs the controllers), then starts its workers; resolves once they run.
   */
  run(): Promise<void>;
  /** Stops the workers, letting the reconciles in progress finish. Informers belong to the factory. */
  stop(): Promise<void>;
}
