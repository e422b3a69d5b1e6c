import { expect } from 'chai';
import type { FieldError } from '../../../../lib/api/errors';
import { limitRangeStrategy, validateLimitRange, type LimitRange } from './limit-range';
import { validateResourceQuota } from './resource-quota';

const messages = (errs: FieldError[]) => errs.map((e) => `${e.field}: ${e.message}`);

describe('core/v1 ResourceQuota and LimitRange strategies', () => {
  it('ResourceQuota: names, amounts, scopes and scope selectors with Kubernetes’ messages', () => {
    expect(validateResourceQuota({ metadata: {}, spec: { hard: { pods: '10', 'requests.cpu': '2', 'count/deployments.apps': '3' } } })).to.deep.equal([]);
    expect(messages(validateResourceQuota({ metadata: {}, spec: { hard: { widgets: '1', pods: '1.5', cpu: '-1' } } }))).to.deep.equal([
      'spec.hard[widgets]: Invalid value: "widgets": must be a standard resource for quota',
      'spec.hard[pods]: Invalid value: "1500m": must be an integer',
      'spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    ]);
    expect(messages(validateResourceQuota({ metadata: {}, spec: { hard: { cpu: '1' }, scopes: ['BestEffort', 'NotBestEffort', 'Sometimes'] } }))).to.deep.equal([
      'spec.scopes: Invalid value: ["BestEffort","NotBestEffort","Sometimes"]: unsupported scope applied to resource',
      'spec.scopes: Invalid value: ["BestEffort","NotBestEffort","Sometimes"]: unsupported scope',
      'spec.scopes: Invalid value: ["BestEffort","NotBestEffort","Sometimes"]: conflicting scopes',
    ]);
    const selector = (operator: string, values?: string[]) => ({ metadata: {}, spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator, values }] } } });
    expect(validateResourceQuota(selector('In', ['high']))).to.deep.equal([]);
    expect(messages(validateResourceQuota(selector('In')))[0]).to.match(/must be at least one value when `operator` is 'In' or 'NotIn' for scope selector/);
    expect(messages(validateResourceQuota(selector('Exists', ['x'])))[0]).to.match(/must be no value when `operator` is 'Exist' or 'DoesNotExist'/);
    expect(messages(validateResourceQuota(selector('Near', ['x'])))[0]).to.match(/^spec\.scopeSelector\.matchExpressions\[0\]\.operator: Unsupported value: "Near"/);
  });

  it('LimitRange: Container items default default ← max and defaultRequest ← default, then min', () => {
    const lr: LimitRange = { metadata: {}, spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }] } };
    limitRangeStrategy.prepareForCreate(lr);
    expect(lr.spec!.limits![0]).to.deep.include({ default: { cpu: '2' }, defaultRequest: { cpu: '2', memory: '64Mi' } });
  });

  it('LimitRange: types, names, min ≤ defaultRequest ≤ default ≤ max and ratios with Kubernetes’ messages', () => {
    const errs = messages(
      validateLimitRange({
        metadata: {},
        spec: {
          limits: [
            { type: 'Container', min: { cpu: '2' }, max: { cpu: '1' }, default: { cpu: '3' }, defaultRequest: { cpu: '500m' }, maxLimitRequestRatio: { cpu: '500m' } },
            { type: 'Pod', default: { cpu: '1' }, max: { widgets: '1' } },
            { type: 'PersistentVolumeClaim' },
            { type: 'Container' },
            { type: 'Node' },
          ],
        },
      }),
    );
    expect(errs).to.deep.equal([
      'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
      'spec.limits[0].defaultRequest[cpu]: Invalid value: "500m": min value 2 is greater than default request value 500m',
      'spec.limits[0].default[cpu]: Invalid value: "1": default value 3 is greater than max value 1',
      'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1',
      'spec.limits[1].max[widgets]: Invalid value: "widgets": must be a standard resource for containers',
      'spec.limits[1].default: Forbidden: may not be specified when `type` is \'Pod\'',
      'spec.limits[2].limits: Required value: either minimum or maximum storage value is required, but neither was provided',
      'spec.limits[3].type: Duplicate value: "Container"',
      'spec.limits[4].type: Invalid value: "Node": must be a standard limit type or fully qualified',
    ]);
  });
});
