/**
 * A recorded watch history of every pod in a namespace, kept through apiserver kills: the watch
 * resumes from the last resourceVersion seen (through the other apiserver) and, when it cannot
 * (410 Gone, a stream it cannot resume), relists — pods missing from the relist count as deleted
 * then. From it, the safety checks of the chaos run: no pod bound to two nodes, at most one live
 * pod per StatefulSet ordinal at any time, and each Job's succeeded pods.
 */
import { RESOURCES } from '../../lib/api/resources';
import type { Pod } from '../../lib/api/types/core';
import type { ApiClient, ClientWatch } from '../../lib/client/api-client';
import { resumingWatch } from '../../lib/client/resuming-watch';

/** Pause before a relist after the watch ended. */
const RELIST_DELAY_MS = 250;
/** The label StatefulSet pods carry with their own name (ordinal included). */
const STS_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** The label Job pods carry with their Job's name. */
const JOB_NAME_LABEL = 'job-name';

/** One pod as the history saw it at one moment. */
interface PodSighting {
  readonly at: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'RELIST-GONE';
  readonly uid: string;
  readonly name: string;
  readonly nodeName: string;
  readonly phase: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Records the pods of one namespace until stopped. See the file comment. */
export class PodHistory {
  readonly sightings: PodSighting[] = [];
  /** Times the watch had to be replaced by a relist. */
  relists = 0;
  private readonly live = new Map<string, PodSighting>();
  private watch: ClientWatch<Pod> | undefined;
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly client: ApiClient,
    private readonly namespace: string,
    private readonly log: (line: string) => void,
  ) {
    this.done = this.run();
  }

  /** Stops recording. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    await this.done;
  }

  private record(type: PodSighting['type'], pod: Pod): void {
    const s: PodSighting = {
      at: Date.now(),
      type,
      uid: pod.metadata.uid ?? '',
      name: pod.metadata.name ?? '',
      nodeName: pod.spec?.nodeName ?? '',
      phase: pod.status?.phase ?? '',
      labels: pod.metadata.labels ?? {},
    };
    this.sightings.push(s);
    if (type === 'DELETED' || type === 'RELIST-GONE') this.live.delete(s.uid);
    else this.live.set(s.uid, s);
  }

  private async run(): Promise<void> {
    const pods = this.client.resource<Pod>(RESOURCES.pods);
    while (!this.stopped) {
      try {
        const list = await pods.list(this.namespace);
        const seen = new Set(list.items.map((p) => p.metadata.uid));
        for (const gone of [...this.live.values()].filter((s) => !seen.has(s.uid))) this.record('RELIST-GONE', { metadata: { uid: gone.uid, name: gone.name, labels: { ...gone.labels } }, spec: { nodeName: gone.nodeName, containers: [] } } as Pod);
        for (const p of list.items) this.record(this.live.has(p.metadata.uid ?? '') ? 'MODIFIED' : 'ADDED', p);
        if (this.stopped) return;
        this.watch = resumingWatch(pods, this.namespace, { resourceVersion: list.metadata.resourceVersion });
        for await (const ev of this.watch) {
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') this.record(ev.type, ev.object);
        }
      } catch (err) {
        if (!this.stopped) this.log(`pod history: ${err instanceof Error ? err.message : String(err)}; relisting`);
      }
      if (this.stopped) return;
      this.relists++;
      await new Promise((r) => setTimeout(r, RELIST_DELAY_MS));
    }
  }

  /** Pods seen bound to more than one node, as "name (uid): node-1, node-2". */
  podsOnTwoNodes(): string[] {
    const nodes = new Map<string, Set<string>>();
    const names = new Map<string, string>();
    for (const s of this.sightings) {
      if (!s.nodeName) continue;
      names.set(s.uid, s.name);
      let set = nodes.get(s.uid);
      if (!set) nodes.set(s.uid, (set = new Set()));
      set.add(s.nodeName);
    }
    return [...nodes].filter(([, set]) => set.size > 1).map(([uid, set]) => `${names.get(uid)} (${uid}): ${[...set].join(', ')}`);
  }

  /** Moments two pods (different uids) of one StatefulSet ordinal were live together. */
  ordinalOverlaps(): string[] {
    const liveByName = new Map<string, Set<string>>();
    const overlaps: string[] = [];
    for (const s of this.sightings) {
      const ordinal = s.labels[STS_POD_NAME_LABEL];
      if (!ordinal) continue;
      let set = liveByName.get(ordinal);
      if (!set) liveByName.set(ordinal, (set = new Set()));
      if (s.type === 'DELETED' || s.type === 'RELIST-GONE') set.delete(s.uid);
      else set.add(s.uid);
      if (set.size > 1) overlaps.push(`${ordinal} at ${new Date(s.at).toISOString()}: ${[...set].join(', ')}`);
    }
    return overlaps;
  }

  /** The uids of the pods of Job `job` seen in phase Succeeded. */
  succeededPodsOf(job: string): Set<string> {
    return new Set(this.sightings.filter((s) => s.labels[JOB_NAME_LABEL] === job && s.phase === 'Succeeded').map((s) => s.uid));
  }
}
