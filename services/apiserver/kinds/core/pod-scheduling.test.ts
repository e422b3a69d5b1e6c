import { expect } from 'chai';
import { fullPodSpec } from '../../../../lib/api/proto/test-objects';
import { podStrategy, type Pod } from './pod';
import type { PodSpec } from './pod-spec';
import { clone, lines } from './test-helpers';

function created(spec: PodSpec, name = 'web'): Pod {
  const p: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: clone(spec) };
  podStrategy.prepareForCreate(p);
  return p;
}

const container = [{ name: 'app', image: 'busybox:1.36' }];

describe('core/v1 pod scheduling fields', () => {
  it('accepts the full spec (affinity, tolerations, spread, overhead, gates) and keeps it as sent', () => {
    const spec = fullPodSpec() as PodSpec;
    const p = created(spec);
    expect(p.spec).to.deep.equal(spec);
    expect(lines(podStrategy.validate(p))).to.deep.equal([]);
  });

  const cases: { name: string; spec: PodSpec; errors: string[] }[] = [
    {
      name: 'node affinity: terms required, operators, values, field selectors and weights',
      spec: {
        containers: container,
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{
                matchExpressions: [
                  { key: 'zone', operator: 'In' },
                  { key: 'gpu', operator: 'Exists', values: ['x'] },
                  { key: 'cores', operator: 'Gt', values: ['1', '2'] },
                  { key: 'bad key', operator: 'Near', values: ['a'] },
                ],
                matchFields: [{ key: 'metadata.labels', operator: 'In', values: ['a'] }, { key: 'metadata.name', operator: 'Exists' }],
              }],
            },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }, { weight: 101, preference: {} }],
          },
        },
      },
      errors: [
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[2].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
        'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[3].operator: Invalid value: "Near": not a valid selector operator',
        `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[3].key: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key: Invalid value: "metadata.labels": not a valid field selector key',
        'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[1].operator: Invalid value: "Exists": not a valid selector operator',
        'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100',
        'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].weight: Invalid value: 101: must be in the range 1-100',
      ],
    },
    {
      name: 'node affinity: a required selector without terms',
      spec: { containers: container, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } },
      errors: ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term'],
    },
    {
      name: 'pod (anti-)affinity: topology keys, selectors, weights',
      spec: {
        containers: container,
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } } }] },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{
              weight: 200,
              podAffinityTerm: { labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] }, topologyKey: 'zone' },
            }],
          },
        },
      },
      errors: [
        'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty',
        'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 200: must be in the range 1-100',
        "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      ],
    },
    {
      name: 'topology spread: maxSkew, topologyKey, whenUnsatisfiable, duplicates, minDomains, policies',
      spec: {
        containers: container,
        topologySpreadConstraints: [
          { maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
          { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', minDomains: 2 },
          { maxSkew: 1, whenUnsatisfiable: 'Sometimes' },
          { maxSkew: 1, topologyKey: 'host', whenUnsatisfiable: 'ScheduleAnyway', minDomains: 3, nodeTaintsPolicy: 'Maybe' },
        ],
      },
      errors: [
        'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
        'spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, DoNotSchedule}"',
        'spec.topologySpreadConstraints[2].topologyKey: Required value: can not be empty',
        'spec.topologySpreadConstraints[2].whenUnsatisfiable: Unsupported value: "Sometimes": supported values: "DoNotSchedule", "ScheduleAnyway"',
        'spec.topologySpreadConstraints[3].minDomains: Invalid value: 3: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway',
        'spec.topologySpreadConstraints[3].nodeTaintsPolicy: Unsupported value: "Maybe": supported values: "Honor", "Ignore"',
      ],
    },
    {
      name: 'gates, overhead, and a node name on a gated pod',
      spec: {
        containers: container,
        nodeName: 'worker-1',
        readinessGates: [{ conditionType: 'example.com/ok' }, { conditionType: 'not valid' }],
        schedulingGates: [{ name: 'example.com/quota' }, { name: 'example.com/quota' }],
        overhead: { cpu: '-1' },
      },
      errors: [
        `spec.readinessGates[1].conditionType: Invalid value: "not valid": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        'spec.schedulingGates[1]: Duplicate value: "example.com/quota"',
        'spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared',
        'spec.overhead[cpu]: Invalid value: "-1": must be greater than or equal to 0',
      ],
    },
    {
      name: 'a priority class name that is no DNS subdomain, an unknown preemption policy',
      spec: { containers: container, priorityClassName: 'Not_Valid', preemptionPolicy: 'Sometimes' },
      errors: [
        `spec.priorityClassName: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        'spec.preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(lines(podStrategy.validate(created(c.spec)))).to.deep.equal(c.errors));
  }

  it('an update may remove scheduling gates, never add one', () => {
    const old = created({ containers: container, schedulingGates: [{ name: 'example.com/a' }, { name: 'example.com/b' }] });
    const fewer = clone(old);
    fewer.spec!.schedulingGates = [{ name: 'example.com/b' }];
    podStrategy.prepareForUpdate(fewer, old);
    expect(lines(podStrategy.validateUpdate(fewer, old))).to.deep.equal([]);
    const more = clone(old);
    more.spec!.schedulingGates = [{ name: 'example.com/a' }, { name: 'example.com/c' }];
    podStrategy.prepareForUpdate(more, old);
    expect(lines(podStrategy.validateUpdate(more, old))).to.deep.equal([
      "spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/c'",
    ]);
  });
});
