import { expect } from 'chai';
import type { StatefulSet, StatefulSetSpec } from '../../../lib/api/types/apps';
import type { Pod } from '../../../lib/api/types/core';
import { CONTROLLER_REVISION_HASH_LABEL } from '../../../lib/controller/history';
import { planStatefulSync, resolveMaxUnavailable, type StatefulAction } from './statefulset-plan';

const NOW_MS = Date.parse('2026-01-01T00:10:00Z');
const READY_SINCE = '2026-01-01T00:09:30Z';

/** A pod state in the table: ok = Running+Ready, pending, notready, failed, done (Succeeded), gone (terminating). A suffix `@old` marks the current (old) revision. */
type PodState = 'ok' | 'pending' | 'notready' | 'failed' | 'done' | 'gone';

function set(spec: Partial<StatefulSetSpec> = {}): StatefulSet {
  return {
    metadata: { name: 'web', namespace: 'ns', uid: 'u' },
    spec: { replicas: 3, podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, ...spec },
  };
}

function pod(ordinal: number, desc: string): Pod {
  const [state, rev] = desc.split('@') as [PodState, string | undefined];
  const running = state === 'ok' || state === 'notready' || state === 'gone';
  return {
    metadata: {
      name: `web-${ordinal}`, namespace: 'ns', uid: `p${ordinal}`,
      labels: { [CONTROLLER_REVISION_HASH_LABEL]: rev === 'old' ? 'web-old' : 'web-new' },
      ...(state === 'gone' ? { deletionTimestamp: '2026-01-01T00:09:59Z' } : {}),
    },
    status: {
      phase: state === 'failed' ? 'Failed' : state === 'done' ? 'Succeeded' : running ? 'Running' : 'Pending',
      conditions: [{ type: 'Ready', status: state === 'ok' || state === 'gone' ? 'True' : 'False', lastTransitionTime: READY_SINCE }],
    },
  };
}

function describeAction(a: StatefulAction): string {
  return a.type === 'create' ? `create ${a.ordinal}${a.revision === 'web-old' ? '@old' : ''}` : `delete ${a.pod.metadata.name!.slice(4)} ${a.why}`;
}

function plan(s: StatefulSet, pods: Record<number, string>): string[] {
  return planStatefulSync({
    set: s, currentSet: s, currentRevision: 'web-old', updateSet: s, updateRevision: 'web-new', nowMs: NOW_MS,
    pods: Object.entries(pods).map(([o, d]) => pod(Number(o), d)),
  }).map(describeAction);
}

describe('statefulset plan (one sync, pure)', () => {
  const cases: { name: string; spec?: Partial<StatefulSetSpec>; pods: Record<number, string>; want: string[] }[] = [
    // OrderedReady creation: one at a time, each waiting for the one below.
    { name: 'OrderedReady creates ordinal 0 first', pods: {}, want: ['create 0'] },
    { name: 'OrderedReady waits for a pending pod', pods: { 0: 'pending' }, want: [] },
    { name: 'OrderedReady waits for a running but not ready pod', pods: { 0: 'notready' }, want: [] },
    { name: 'OrderedReady creates the next ordinal once the lower ones are Ready', pods: { 0: 'ok', 1: 'ok' }, want: ['create 2'] },
    { name: 'OrderedReady waits for a lower pod that is not available yet (minReadySeconds)', spec: { minReadySeconds: 60 }, pods: { 0: 'ok' }, want: [] },
    { name: 'OrderedReady fills a gap below before anything above', pods: { 0: 'ok', 2: 'ok' }, want: ['create 1'] },
    // Parallel: everything at once.
    { name: 'Parallel creates every ordinal at once', spec: { podManagementPolicy: 'Parallel' }, pods: {}, want: ['create 0', 'create 1', 'create 2'] },
    { name: 'Parallel does not wait for pending pods', spec: { podManagementPolicy: 'Parallel' }, pods: { 0: 'pending' }, want: ['create 1', 'create 2'] },
    // One pod per ordinal.
    { name: 'a terminating pod is waited for, not replaced', pods: { 0: 'gone' }, want: [] },
    { name: 'Parallel: a terminating pod is waited for, the others made', spec: { podManagementPolicy: 'Parallel' }, pods: { 0: 'gone' }, want: ['create 1', 'create 2'] },
    { name: 'a failed pod is deleted (recreated once gone)', pods: { 0: 'ok', 1: 'failed', 2: 'ok' }, want: ['delete 1 failed'] },
    { name: 'a succeeded pod is deleted too', pods: { 0: 'done' }, want: ['delete 0 failed'] },
    // Scale down.
    { name: 'OrderedReady scales down from the highest ordinal, one at a time', spec: { replicas: 1 }, pods: { 0: 'ok', 1: 'ok', 2: 'ok' }, want: ['delete 2 condemned'] },
    { name: 'OrderedReady waits for the condemned pod to be gone', spec: { replicas: 1 }, pods: { 0: 'ok', 1: 'ok', 2: 'gone' }, want: [] },
    { name: 'OrderedReady does not scale down while another pod is unhealthy', spec: { replicas: 1 }, pods: { 0: 'ok', 1: 'notready', 2: 'ok' }, want: [] },
    { name: 'OrderedReady scales down the unhealthy highest pod itself', spec: { replicas: 1 }, pods: { 0: 'ok', 1: 'ok', 2: 'notready' }, want: ['delete 2 condemned'] },
    { name: 'Parallel scales down all at once', spec: { replicas: 1, podManagementPolicy: 'Parallel' }, pods: { 0: 'ok', 1: 'ok', 2: 'ok' }, want: ['delete 2 condemned', 'delete 1 condemned'] },
    // Rolling update.
    { name: 'RollingUpdate deletes the highest old pod first', pods: { 0: 'ok@old', 1: 'ok@old', 2: 'ok@old' }, want: ['delete 2 update'] },
    { name: 'RollingUpdate waits for the updated pod to be Ready', pods: { 0: 'ok@old', 1: 'ok@old', 2: 'notready' }, want: [] },
    { name: 'RollingUpdate goes on down once it is', pods: { 0: 'ok@old', 1: 'ok@old', 2: 'ok' }, want: ['delete 1 update'] },
    { name: 'RollingUpdate stops at the partition', spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, pods: { 0: 'ok@old', 1: 'ok@old', 2: 'ok' }, want: [] },
    { name: 'below the partition a pod is recreated at the current revision', spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, pods: {}, want: ['create 0@old'] },
    { name: 'at or above the partition at the update revision', spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, pods: { 0: 'ok@old', 1: 'ok@old' }, want: ['create 2'] },
    { name: 'maxUnavailable 2 deletes two old pods at once', spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } } }, pods: { 0: 'ok@old', 1: 'ok@old', 2: 'ok@old' }, want: ['delete 2 update', 'delete 1 update'] },
    { name: 'OnDelete never deletes old pods', spec: { updateStrategy: { type: 'OnDelete' } }, pods: { 0: 'ok@old', 1: 'ok@old', 2: 'ok@old' }, want: [] },
    { name: 'OnDelete recreates a deleted pod at the update revision', spec: { updateStrategy: { type: 'OnDelete' } }, pods: { 0: 'ok@old', 2: 'ok@old' }, want: ['create 1'] },
    // Ordinals.
    { name: 'spec.ordinals.start shifts the names', spec: { replicas: 2, ordinals: { start: 5 } }, pods: { 5: 'ok' }, want: ['create 6'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(plan(set(c.spec), c.pods)).to.deep.equal(c.want);
    });
  }

  it('resolves maxUnavailable: a count, a percentage rounded down, at least 1; a malformed one counts as 1', () => {
    expect([resolveMaxUnavailable(undefined, 5), resolveMaxUnavailable(3, 5), resolveMaxUnavailable('50%', 5), resolveMaxUnavailable('10%', 5), resolveMaxUnavailable('x', 5)]).to.deep.equal([1, 3, 2, 1, 1]);
  });
});
