/**
 * Fakes of the scheduler's outside world for unit tests: a SchedulerApi that records writes
 * and fails on demand, and an event sink that keeps the events.
 */
import { ApiError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import type { PodCondition } from '../algorithm/api-types';
import type { PodInfo } from '../algorithm/pod-info';
import type { SchedulerEventSink } from '../event-sink';
import type { SchedulerApi } from '../scheduler-api';

/** A recorded status patch. */
export interface StatusPatch {
  pod: string;
  condition?: PodCondition;
  nominatedNodeName?: string;
}

export class FakeSchedulerApi implements SchedulerApi {
  readonly binds: { pod: string; node: string }[] = [];
  readonly patches: StatusPatch[] = [];
  readonly evictions: string[] = [];
  /** pod key → HTTP code the next bind of it fails with. */
  readonly bindFailures = new Map<string, number>();

  async bind(pod: PodInfo, nodeName: string): Promise<void> {
    const code = this.bindFailures.get(pod.key);
    if (code !== undefined) {
      this.bindFailures.delete(pod.key);
      throw new ApiError(code, code === 409 ? 'Conflict' : 'InternalError', `bind of ${pod.key} failed`);
    }
    this.binds.push({ pod: pod.key, node: nodeName });
  }

  async patchStatus(pod: PodInfo, condition: PodCondition | undefined, nominatedNodeName?: string): Promise<void> {
    this.patches.push({ pod: pod.key, condition, nominatedNodeName });
  }

  async evict(victim: PodInfo): Promise<void> {
    this.evictions.push(victim.key);
  }

  /** The node the pod `key` was bound to, if any. */
  nodeOf(key: string): string | undefined {
    return this.binds.find((b) => b.pod === key)?.node;
  }
}

/** One recorded event. */
export interface RecordedEvent {
  object: string;
  type: string;
  reason: string;
  message: string;
}

export class RecordingEventSink implements SchedulerEventSink {
  readonly events: RecordedEvent[] = [];

  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ object: `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`, type, reason, message });
  }

  /** Events of `reason` about the object `key`. */
  of(key: string, reason?: string): RecordedEvent[] {
    return this.events.filter((e) => e.object === key && (!reason || e.reason === reason));
  }
}
