/**
 * Watch-observed pod timings for the controllers benchmark: an informer on the benchmark's
 * namespace in the bench process records, per pod, when its creation was first seen and when it
 * was first seen Ready (Running with Ready=True), on this process' clock.
 */
import { RESOURCES } from '../../lib/api/resources';
import type { Pod } from '../../lib/api/types/core';
import { listerWatcherFor } from '../../lib/client/api-adapters';
import type { ApiClient } from '../../lib/client/api-client';
import { SharedInformer } from '../../lib/client/informer';
import { isPodReady } from '../../services/controller-manager/replicaset/pod-readiness';

/** First retry delay of the tracker's watch, ms (short: a benchmark should not stall on a hiccup). */
const TRACKER_RETRY_MS = 50;

/** When one pod was seen created and Ready, ms since the epoch. */
export interface PodTimes {
  readonly createdMs: number;
  readyMs?: number;
}

/** Records every pod of one namespace as it appears and turns Ready. */
export class PodTracker {
  readonly times = new Map<string, PodTimes>();
  private readonly informer: SharedInformer<Pod>;

  constructor(client: ApiClient, namespace: string) {
    this.informer = new SharedInformer<Pod>(listerWatcherFor(client.resource<Pod>(RESOURCES.pods), { namespace }), { retryBaseMs: TRACKER_RETRY_MS });
    const seen = (pod: Pod) => {
      const name = pod.metadata.name ?? '';
      const now = Date.now();
      let t = this.times.get(name);
      if (!t) this.times.set(name, (t = { createdMs: now }));
      if (t.readyMs === undefined && isPodReady(pod) && pod.status?.phase === 'Running') t.readyMs = now;
    };
    this.informer.addEventHandler({ onAdd: seen, onUpdate: (_o, p) => seen(p) });
  }

  async start(): Promise<void> {
    this.informer.run();
    await this.informer.waitForSync();
  }

  stop(): void {
    this.informer.stop();
  }

  /** Pods seen Ready whose names start with `prefix`. */
  readyCount(prefix: string): number {
    let n = 0;
    for (const [name, t] of this.times) if (name.startsWith(prefix) && t.readyMs !== undefined) n++;
    return n;
  }

  /** The timings of the pods whose names start with `prefix`. */
  of(prefix: string): PodTimes[] {
    return [...this.times].filter(([name]) => name.startsWith(prefix)).map(([, t]) => t);
  }
}
