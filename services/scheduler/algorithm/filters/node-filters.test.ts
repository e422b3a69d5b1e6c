import { expect } from 'chai';
import type { NodeSelectorRequirement } from '../api-types';
import { PodInfo } from '../pod-info';
import { filterVerdict as verdict, makeNode, makePod, makeState, type NodeOptions, type PodOptions } from '../test-fixtures';
import {
  nodeAffinity,
  nodePorts,
  nodeUnschedulable,
  REASON_NODE_AFFINITY,
  REASON_NODE_PORTS,
  REASON_UNSCHEDULABLE,
  taintToleration,
  untoleratedTaintReason,
} from './node-filters';

describe('scheduler filters: node unschedulable, taints, node affinity, ports', () => {
  describe('NodeUnschedulable', () => {
    const cases: [string, PodOptions, NodeOptions, string[]][] = [
      ['a schedulable node fits', {}, {}, []],
      ['a cordoned node is refused', {}, { unschedulable: true }, [REASON_UNSCHEDULABLE]],
      ['a pod tolerating node.kubernetes.io/unschedulable:NoSchedule fits a cordoned node', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }, { unschedulable: true }, []],
      ['an empty-key Exists toleration tolerates the cordon too', { tolerations: [{ operator: 'Exists' }] }, { unschedulable: true }, []],
    ];
    for (const [name, pod, node, want] of cases) it(name, () => expect(verdict(nodeUnschedulable, pod, node)).to.deep.equal(want));
  });

  describe('TaintToleration', () => {
    const gpu = { key: 'gpu', value: 'true', effect: 'NoSchedule' };
    const cases: [string, PodOptions, NodeOptions, string[]][] = [
      ['no taints', {}, {}, []],
      ['an untolerated NoSchedule taint', {}, { taints: [gpu] }, [untoleratedTaintReason('gpu', 'true')]],
      ['an untolerated NoExecute taint', {}, { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }, ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']],
      ['PreferNoSchedule never blocks', {}, { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] }, []],
      ['Equal with the same value tolerates', { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }] }, { taints: [gpu] }, []],
      ['no operator means Equal', { tolerations: [{ key: 'gpu', value: 'true' }] }, { taints: [gpu] }, []],
      ['Equal with another value does not', { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'false' }] }, { taints: [gpu] }, [untoleratedTaintReason('gpu', 'true')]],
      ['Exists on the key tolerates any value', { tolerations: [{ key: 'gpu', operator: 'Exists' }] }, { taints: [gpu] }, []],
      ['a toleration for another effect does not', { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoExecute' }] }, { taints: [gpu] }, [untoleratedTaintReason('gpu', 'true')]],
      ['an empty key with Exists tolerates everything', { tolerations: [{ operator: 'Exists' }] }, { taints: [gpu, { key: 'x', effect: 'NoExecute' }] }, []],
      ['the first untolerated taint is reported', { tolerations: [{ key: 'gpu', operator: 'Exists' }] }, { taints: [gpu, { key: 'b', value: '2', effect: 'NoSchedule' }] }, [untoleratedTaintReason('b', '2')]],
    ];
    for (const [name, pod, node, want] of cases) it(name, () => expect(verdict(taintToleration, pod, node)).to.deep.equal(want));
  });

  describe('NodeAffinity (nodeSelector and required node affinity)', () => {
    const labels = { zone: 'a', disk: 'ssd', cores: '8' };
    const required = (...matchExpressions: NodeSelectorRequirement[]): PodOptions => ({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } },
    });
    const cases: [string, PodOptions, boolean][] = [
      ['no selector', {}, true],
      ['nodeSelector matching', { nodeSelector: { zone: 'a' } }, true],
      ['nodeSelector with a wrong value', { nodeSelector: { zone: 'b' } }, false],
      ['nodeSelector on a missing label', { nodeSelector: { gpu: 'yes' } }, false],
      ['In', required({ key: 'zone', operator: 'In', values: ['b', 'a'] }), true],
      ['In, no value matches', required({ key: 'zone', operator: 'In', values: ['b'] }), false],
      ['NotIn', required({ key: 'zone', operator: 'NotIn', values: ['b'] }), true],
      ['NotIn on a missing label matches', required({ key: 'gpu', operator: 'NotIn', values: ['x'] }), true],
      ['NotIn excluding the value', required({ key: 'zone', operator: 'NotIn', values: ['a'] }), false],
      ['Exists', required({ key: 'disk', operator: 'Exists' }), true],
      ['Exists on a missing label', required({ key: 'gpu', operator: 'Exists' }), false],
      ['DoesNotExist', required({ key: 'gpu', operator: 'DoesNotExist' }), true],
      ['DoesNotExist on a present label', required({ key: 'disk', operator: 'DoesNotExist' }), false],
      ['Gt', required({ key: 'cores', operator: 'Gt', values: ['4'] }), true],
      ['Gt not greater', required({ key: 'cores', operator: 'Gt', values: ['8'] }), false],
      ['Lt', required({ key: 'cores', operator: 'Lt', values: ['16'] }), true],
      ['Lt on a non-integer label', required({ key: 'zone', operator: 'Lt', values: ['16'] }), false],
      ['requirements of a term are ANDed', required({ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] }), false],
      [
        'terms are ORed',
        {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] }, { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }],
              },
            },
          },
        },
        true,
      ],
      ['an empty term matches nothing', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } }, false],
      [
        'matchFields metadata.name In',
        { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } } },
        true,
      ],
      [
        'matchFields metadata.name NotIn',
        { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] }] } } } },
        false,
      ],
      ['nodeSelector and affinity are ANDed', { nodeSelector: { zone: 'b' }, ...required({ key: 'disk', operator: 'Exists' }) }, false],
    ];
    for (const [name, pod, fits] of cases) {
      it(name, () => expect(verdict(nodeAffinity, pod, { labels })).to.deep.equal(fits ? [] : [REASON_NODE_AFFINITY]));
    }

    it('refuses to compile an unknown operator', () => {
      expect(() => PodInfo.of(makePod('p', required({ key: 'k', operator: 'Near' as never })))).to.throw(/operator/);
    });
  });

  describe('NodePorts', () => {
    const cases: [string, PodOptions, PodOptions[], boolean][] = [
      ['no host ports', {}, [{ hostPorts: [80] }], true],
      ['a free port', { hostPorts: [8080] }, [{ hostPorts: [80] }], true],
      ['a port in use', { hostPorts: [80] }, [{ hostPorts: [80] }], false],
      ['existing pods without host ports take none', { hostPorts: [80] }, [{ hostPorts: [] }], true],
    ];
    for (const [name, pod, existing, fits] of cases) {
      it(name, () => expect(verdict(nodePorts, pod, {}, existing)).to.deep.equal(fits ? [] : [REASON_NODE_PORTS]));
    }

    it('0.0.0.0 conflicts with a specific address and vice versa; different protocols do not', () => {
      const bind = (ip: string, protocol = 'TCP') => ({ containers: [{ name: 'c', ports: [{ containerPort: 53, hostPort: 53, hostIP: ip, protocol }] }] });
      const withPorts = (name: string, spec: object, nodeName?: string) => {
        const p = makePod(name, { nodeName });
        p.spec = { ...p.spec, ...spec };
        return p;
      };
      const check = (existing: object, incoming: object) => {
        const state = makeState([makeNode('n1')], [withPorts('e', existing, 'n1')]);
        return nodePorts.preFilter(PodInfo.of(withPorts('p', incoming)), state)!.filter(state.node('n1')!)?.reasons ?? [];
      };
      expect(check(bind('10.0.0.1'), bind('0.0.0.0'))).to.deep.equal([REASON_NODE_PORTS]);
      expect(check(bind('0.0.0.0'), bind('10.0.0.1'))).to.deep.equal([REASON_NODE_PORTS]);
      expect(check(bind('10.0.0.1'), bind('10.0.0.2'))).to.deep.equal([]);
      expect(check(bind('10.0.0.1', 'UDP'), bind('10.0.0.1', 'TCP'))).to.deep.equal([]);
    });
  });
});
