import { expect } from 'chai';
import { compileNode, NodeInfo } from '../node-info';
import { PodInfo } from '../pod-info';
import { DEFAULT_MEMORY_REQUEST_BYTES, DEFAULT_MILLI_CPU_REQUEST } from '../resources';
import { filterVerdict, makeNode, makePod, type NodeOptions, type PodOptions } from '../test-fixtures';
import {
  nodeResourcesFit,
  REASON_INSUFFICIENT_CPU,
  REASON_INSUFFICIENT_EPHEMERAL_STORAGE,
  REASON_INSUFFICIENT_MEMORY,
  REASON_TOO_MANY_PODS,
} from './node-resources-fit';

describe('scheduler filter NodeResourcesFit', () => {
  const node: NodeOptions = { cpu: '2', memory: '4Gi', pods: '3' };
  const cases: [string, PodOptions, PodOptions[], NodeOptions, string[]][] = [
    ['fits an empty node', { cpu: '1', memory: '1Gi' }, [], node, []],
    ['fits exactly what is left', { cpu: '500m', memory: '1Gi' }, [{ cpu: '1500m', memory: '3Gi' }], node, []],
    ['one millicore too many', { cpu: '501m' }, [{ cpu: '1500m' }], node, [REASON_INSUFFICIENT_CPU]],
    ['too much memory', { memory: '5Gi' }, [], node, [REASON_INSUFFICIENT_MEMORY]],
    ['cpu and memory short: both reasons, cpu first', { cpu: '3', memory: '5Gi' }, [], node, [REASON_INSUFFICIENT_CPU, REASON_INSUFFICIENT_MEMORY]],
    ['the node takes no more pods', {}, [{}, {}, {}], node, [REASON_TOO_MANY_PODS]],
    ['pod count first, then resources', { cpu: '3' }, [{}, {}, {}], node, [REASON_TOO_MANY_PODS, REASON_INSUFFICIENT_CPU]],
    ['a node without a pods entry takes no pod', {}, [], { cpu: '2', memory: '1Gi', pods: '0' }, [REASON_TOO_MANY_PODS]],
    ['a best-effort pod fits a full node that takes more pods', {}, [{ cpu: '2', memory: '4Gi' }], node, []],
    ['terminating pods still hold their room', { cpu: '1' }, [{ cpu: '2', terminating: true }], node, [REASON_INSUFFICIENT_CPU]],
  ];
  for (const [name, pod, existing, n, want] of cases) it(name, () => expect(filterVerdict(nodeResourcesFit, pod, n, existing)).to.deep.equal(want));

  it('counts ephemeral-storage and extended resources', () => {
    const pod = makePod('p');
    pod.spec!.containers![0]!.resources = { requests: { 'ephemeral-storage': '2Gi', 'example.com/gpu': '2' } };
    const info = PodInfo.of(pod);
    const compiled = compileNode(makeNode('n1', { ephemeralStorage: '1Gi', extra: { 'example.com/gpu': '1' } }));
    expect(info.requests.ephemeralStorage).to.equal(2 * 1024 ** 3);
    expect(compiled.allocatable.scalar?.get('example.com/gpu')).to.equal(1);
    const f = nodeResourcesFit.preFilter(info, undefined as never)!;
    const r = f.filter(new NodeInfo(compiled));
    expect(r?.reasons).to.deep.equal([REASON_INSUFFICIENT_EPHEMERAL_STORAGE, 'Insufficient example.com/gpu']);
  });

  describe('the pod request (resourcehelper.PodRequests)', () => {
    const req = (cpu?: string, memory?: string) => ({ requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } });
    it('is the sum of the containers', () => {
      const pod = makePod('p');
      pod.spec!.containers = [{ name: 'a', resources: req('100m', '1Mi') }, { name: 'b', resources: req('250m', '2Mi') }];
      const r = PodInfo.of(pod).requests;
      expect([r.milliCPU, r.memory]).to.deep.equal([350, 3 * 1024 ** 2]);
    });
    it('is at least the largest init container', () => {
      const pod = makePod('p', { cpu: '500m', memory: '1Gi', initContainers: [{ name: 'i1', resources: req('2', '100Mi') }, { name: 'i2', resources: req('1', '2Gi') }] });
      const r = PodInfo.of(pod).requests;
      expect([r.milliCPU, r.memory]).to.deep.equal([2000, 2 * 1024 ** 3]);
    });
    it('adds sidecars (restartable init containers) to the containers and to later init containers', () => {
      const pod = makePod('p', {
        cpu: '500m',
        initContainers: [{ name: 'side', restartPolicy: 'Always', resources: req('200m') }, { name: 'init', resources: req('1') }],
      });
      // max(500m + 200m, 1000m + 200m)
      expect(PodInfo.of(pod).requests.milliCPU).to.equal(1200);
    });
    it('adds spec.overhead', () => {
      const r = PodInfo.of(makePod('p', { cpu: '1', memory: '1Gi', overhead: { cpu: '250m', memory: '64Mi' } })).requests;
      expect([r.milliCPU, r.memory]).to.deep.equal([1250, 1024 ** 3 + 64 * 1024 ** 2]);
    });
    it('scores containers without requests as 100m cpu and 200Mi memory', () => {
      const pod = makePod('p');
      pod.spec!.containers = [{ name: 'a' }, { name: 'b', resources: req('1') }];
      const nz = PodInfo.of(pod).nonZeroRequests;
      expect([nz.milliCPU, nz.memory]).to.deep.equal([DEFAULT_MILLI_CPU_REQUEST + 1000, 2 * DEFAULT_MEMORY_REQUEST_BYTES]);
    });
    it('reports a malformed quantity with its field path', () => {
      expect(() => PodInfo.of(makePod('p', { cpu: 'lots' }))).to.throw(/spec\.containers\[0\]\.resources\.requests\.cpu/);
    });
  });

  it('reads a node without status.allocatable by its capacity', () => {
    const n = makeNode('n1', { cpu: '3' });
    delete n.status!.allocatable;
    expect(compileNode(n).allocatable.milliCPU).to.equal(3000);
  });
});
