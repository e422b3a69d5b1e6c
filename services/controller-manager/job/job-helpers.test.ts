import { expect } from 'chai';
import type { Job, Pod } from '../../../lib/api/types';
import { formatIndexes, JOB_COMPLETION_INDEX_ANNOTATION, parseIndexes } from './completion-index';
import { planPods } from './job-plan';
import { matchPodFailurePolicy, type PodFailurePolicyRule } from './pod-failure-policy';
import { POD_FAILURE_BACKOFF_BASE_MS, POD_FAILURE_BACKOFF_MAX_MS, remainingBackoffMs, updateBackoff } from './pod-backoff';

const job = (spec: Job['spec']): Job => ({ metadata: { name: 'j', namespace: 'ns', uid: 'u' }, spec });
const pod = (name: string, index?: number, extra: Partial<Pod> = {}): Pod => ({
  metadata: { name, namespace: 'ns', annotations: index === undefined ? {} : { [JOB_COMPLETION_INDEX_ANNOTATION]: String(index) } },
  ...extra,
});

describe('job: completedIndexes format', () => {
  const cases: [number[], string][] = [
    [[], ''],
    [[0], '0'],
    [[1, 3, 4, 5], '1,3-5'],
    [[0, 1], '0-1'],
    [[5, 0, 2, 1, 7, 8], '0-2,5,7-8'],
  ];
  for (const [indexes, text] of cases) {
    it(`${JSON.stringify(indexes)} ⇄ "${text}"`, () => {
      expect(formatIndexes(indexes)).to.equal(text);
      expect([...parseIndexes(text, 100)].sort((a, b) => a - b)).to.deep.equal([...new Set(indexes)].sort((a, b) => a - b));
    });
  }
  it('drops indexes at or above completions and malformed parts', () => {
    expect([...parseIndexes('1,3-6,x,9', 5)]).to.deep.equal([1, 3, 4]);
  });
});

describe('job: parallelism and completions arithmetic', () => {
  const active = (n: number, indexes?: number[]) => Array.from({ length: n }, (_, i) => pod(`p${i}`, indexes?.[i]));
  const cases: { name: string; spec: Job['spec']; active: Pod[]; succeeded: number; completed?: number[]; failed?: number[]; create: (number | undefined)[]; del: number }[] = [
    { name: 'completions 5, parallelism 2, nothing yet', spec: { completions: 5, parallelism: 2 }, active: [], succeeded: 0, create: [undefined, undefined], del: 0 },
    { name: 'completions 5, 4 succeeded: one more', spec: { completions: 5, parallelism: 2 }, active: [], succeeded: 4, create: [undefined], del: 0 },
    { name: 'completions 5, 4 succeeded, 2 running: one too many', spec: { completions: 5, parallelism: 2 }, active: active(2), succeeded: 4, create: [], del: 1 },
    { name: 'parallelism lowered to 1 with 3 running', spec: { completions: 10, parallelism: 1 }, active: active(3), succeeded: 0, create: [], del: 2 },
    { name: 'work queue (no completions): parallelism', spec: { parallelism: 3 }, active: [], succeeded: 0, create: [undefined, undefined, undefined], del: 0 },
    { name: 'work queue after one success: no new pods, none deleted', spec: { parallelism: 3 }, active: active(2), succeeded: 1, create: [], del: 0 },
    { name: 'parallelism 0', spec: { completions: 3, parallelism: 0 }, active: [], succeeded: 0, create: [], del: 0 },
    { name: 'Indexed: lowest pending indexes first', spec: { completions: 4, parallelism: 2, completionMode: 'Indexed' }, active: active(1, [1]), succeeded: 1, completed: [0], create: [2], del: 0 },
    { name: 'Indexed: failed indexes are not retried', spec: { completions: 4, parallelism: 4, completionMode: 'Indexed' }, active: [], succeeded: 0, failed: [1, 2], create: [0, 3], del: 0 },
    { name: 'Indexed: duplicate, completed and out-of-range indexes deleted', spec: { completions: 3, parallelism: 3, completionMode: 'Indexed' }, active: active(4, [1, 1, 0, 7]), succeeded: 1, completed: [0], create: [2], del: 3 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planPods(job(c.spec), c.active, c.succeeded, new Set(c.completed ?? []), new Set(c.failed ?? []));
      expect(plan.toCreate).to.deep.equal(c.create);
      expect(plan.toDelete).to.have.length(c.del);
    });
  }
});

describe('job: pod failure backoff', () => {
  const t0 = 1_000_000;
  const cases: { failures: number; waitMs: number }[] = [
    { failures: 0, waitMs: 0 },
    { failures: 1, waitMs: POD_FAILURE_BACKOFF_BASE_MS },
    { failures: 2, waitMs: 2 * POD_FAILURE_BACKOFF_BASE_MS },
    { failures: 3, waitMs: 4 * POD_FAILURE_BACKOFF_BASE_MS },
    { failures: 6, waitMs: 320_000 },
    { failures: 7, waitMs: POD_FAILURE_BACKOFF_MAX_MS },
    { failures: 40, waitMs: POD_FAILURE_BACKOFF_MAX_MS },
  ];
  for (const c of cases) {
    it(`${c.failures} failures since the last success wait ${c.waitMs} ms`, () => {
      const record = c.failures === 0 ? undefined : updateBackoff(undefined, 0, c.failures, t0);
      expect(remainingBackoffMs(record, t0)).to.equal(c.waitMs);
      expect(remainingBackoffMs(record, t0 + c.waitMs)).to.equal(0);
    });
  }
  it('a success resets the count', () => {
    const failed = updateBackoff(undefined, 0, 3, t0);
    expect(updateBackoff(failed, 1, 0, t0).failuresAfterLastSuccess).to.equal(0);
    expect(updateBackoff(failed, 1, 1, t0).failuresAfterLastSuccess).to.equal(1);
  });
});

describe('job: podFailurePolicy rules', () => {
  const failedPod = (exitCode: number, container = 'main', conditions: { type: string; status: string }[] = []): Pod =>
    pod('p', undefined, { status: { phase: 'Failed', conditions, containerStatuses: [{ name: container, state: { terminated: { exitCode } } }] } });
  const rules: PodFailurePolicyRule[] = [
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
    { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
    { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1, 2, 42] } },
    { action: 'FailIndex', onExitCodes: { operator: 'In', values: [2] } },
  ];
  const cases: { name: string; pod: Pod; action?: string; message?: string }[] = [
    { name: 'exit 42 in main: FailJob', pod: failedPod(42), action: 'FailJob', message: 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1' },
    { name: 'exit 42 in another container: next rules (NotIn excludes 42)', pod: failedPod(42, 'side'), action: undefined },
    { name: 'exit 7: Count', pod: failedPod(7), action: 'Count' },
    { name: 'exit 2: FailIndex', pod: failedPod(2), action: 'FailIndex' },
    { name: 'exit 1: no rule', pod: failedPod(1), action: undefined },
    { name: 'DisruptionTarget: Ignore, first match wins', pod: failedPod(42, 'main', [{ type: 'DisruptionTarget', status: 'True' }]), action: 'Ignore', message: 'Pod ns/p has condition DisruptionTarget matching Ignore rule at index 0' },
    { name: 'DisruptionTarget False does not match', pod: failedPod(1, 'main', [{ type: 'DisruptionTarget', status: 'False' }]), action: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const match = matchPodFailurePolicy(rules, c.pod);
      expect(match?.action).to.equal(c.action);
      if (c.message) expect(match?.message).to.equal(c.message);
    });
  }
});
