import { expect } from 'chai';
import { jobStrategy, type Job } from './index';

/** A Job with `podFailurePolicy` and the given restartPolicy, as the registry hands it over. */
function job(podFailurePolicy: unknown, restartPolicy = 'Never'): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pfp', namespace: 'default', uid: '8f1c2d3e-0000-4000-8000-000000000002' },
    spec: { podFailurePolicy, template: { spec: { restartPolicy, containers: [{ name: 'main', image: 'busybox' }] } } },
  };
}

function errorsOf(j: Job): string[] {
  jobStrategy.prepareForCreate(j);
  return jobStrategy.validate(j).map((e) => `${e.field}: ${e.message}`);
}

describe('batch/v1 Job: spec.podFailurePolicy validation', () => {
  const R = 'spec.podFailurePolicy.rules[0]';
  const cases: { name: string; policy: unknown; restartPolicy?: string; errors: string[] }[] = [
    {
      name: 'a valid policy',
      policy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [1, 42] } }, { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] },
      errors: [],
    },
    { name: 'restartPolicy OnFailure', policy: { rules: [] }, restartPolicy: 'OnFailure', errors: ['spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified'] },
    { name: 'no rules', policy: {}, errors: ['spec.podFailurePolicy.rules: Required value'] },
    { name: 'unknown action', policy: { rules: [{ action: 'Retry', onExitCodes: { operator: 'In', values: [1] } }] }, errors: [`${R}.action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"`] },
    { name: 'both requirements', policy: { rules: [{ action: 'Count', onExitCodes: { operator: 'In', values: [1] }, onPodConditions: [{ type: 'X' }] }] }, errors: [`${R}: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported`] },
    { name: 'no requirement', policy: { rules: [{ action: 'Count' }] }, errors: [`${R}: Invalid value: specifying one of OnExitCodes and OnPodConditions is required`] },
    { name: 'bad operator', policy: { rules: [{ action: 'Count', onExitCodes: { operator: 'Gt', values: [1] } }] }, errors: [`${R}.onExitCodes.operator: Unsupported value: "Gt": supported values: "In", "NotIn"`] },
    { name: 'no values', policy: { rules: [{ action: 'Count', onExitCodes: { operator: 'In', values: [] } }] }, errors: [`${R}.onExitCodes.values: Required value`] },
    {
      name: '0 with In, duplicates, disorder',
      policy: { rules: [{ action: 'Count', onExitCodes: { operator: 'In', values: [0, 5, 5, 3] } }] },
      errors: [`${R}.onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator`, `${R}.onExitCodes.values[2]: Duplicate value: 5`, `${R}.onExitCodes.values[3]: Invalid value: 3: must be ordered`],
    },
    { name: 'condition without type, bad status', policy: { rules: [{ action: 'Ignore', onPodConditions: [{ status: 'Maybe' }] }] }, errors: [`${R}.onPodConditions[0].type: Required value`, `${R}.onPodConditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"`] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(errorsOf(job(c.policy, c.restartPolicy))).to.deep.equal(c.errors);
    });
  }
});
