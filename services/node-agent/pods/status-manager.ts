/**
 * Writes pods/status for the agent, only when it changed: a computed status equal (as the API
 * stores it: lib/controller/status-compare) to the cached one, or to the one this manager last
 * wrote while the cache has not caught up, is not written again. A conflict (the cache was
 * stale) throws, and the worker syncs again from the fresher cache.
 */
import type { Pod } from '../../../lib/api/types';
import type { ResourceClient } from '../../../lib/client/api-client';
import { sameStatus } from '../../../lib/controller/status-compare';

export class StatusManager {
  /** The last status written per pod uid, with the resourceVersion the write produced. */
  private readonly written = new Map<string, { status: unknown; resourceVersion: number }>();

  constructor(private readonly pods: ResourceClient<Pod>) {}

  /** Writes `status` for `pod` (the cached object) unless it is already there; resolves with whether it wrote. */
  async write(pod: Pod, status: Record<string, unknown>): Promise<boolean> {
    const uid = pod.metadata.uid ?? '';
    if (sameStatus(pod.status, status)) return false;
    const last = this.written.get(uid);
    const cachedRv = Number(pod.metadata.resourceVersion ?? 0);
    if (last && cachedRv <= last.resourceVersion && sameStatus(last.status, status)) return false;
    const updated = await this.pods.updateStatus(pod.metadata.namespace, { ...pod, status });
    this.written.set(uid, { status, resourceVersion: Number(updated.metadata.resourceVersion ?? 0) });
    return true;
  }

  /** Forgets a pod that is gone. */
  forget(uid: string): void {
    this.written.delete(uid);
  }
}
