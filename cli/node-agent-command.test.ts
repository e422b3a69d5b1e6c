import { expect } from 'chai';
import { nodeConfigsOf } from './node-agent-command';

describe('bosun node-agent flags', () => {
  const base = { maxPods: '110', kubeletPort: '10250', clusterDns: '10.43.0.10', clusterDomain: 'cluster.local', rootDir: '/tmp/bosun-flags-test' };

  it('builds the node from the flags: overrides, reserved, labels, simulated nodes', () => {
    const { nodes } = nodeConfigsOf({ ...base, nodeName: 'n1', cpu: '8', memory: '32Gi', systemReserved: 'cpu=500m,memory=1Gi', nodeLabels: 'disk=ssd,zone=a', nodes: '3', nodeIp: '127.0.0.1' });
    expect(nodes.map((n) => n.nodeName)).to.deep.equal(['n1-1', 'n1-2', 'n1-3']);
    expect(nodes[0]).to.deep.include({ labels: { disk: 'ssd', zone: 'a' }, reserved: { cpu: '500m', memory: '1Gi' }, address: '127.0.0.1', kubeletPort: 10250 });
    expect(nodes[0]!.capacity).to.include({ cpu: '8', memory: '32Gi', pods: '110' });
  });

  it('names the flag in every error', () => {
    expect(() => nodeConfigsOf({ ...base, nodeName: 'Bad_Name' })).to.throw('--node-name');
    expect(() => nodeConfigsOf({ ...base, nodeName: 'n', nodes: '0' })).to.throw('--nodes');
    expect(() => nodeConfigsOf({ ...base, nodeName: 'n', cpu: 'lots' })).to.throw('--cpu');
    expect(() => nodeConfigsOf({ ...base, nodeName: 'n', systemReserved: 'gpu=1' })).to.throw('--system-reserved: unknown resource "gpu"');
    expect(() => nodeConfigsOf({ ...base, nodeName: 'n', systemReserved: 'cpu' })).to.throw('--system-reserved');
    expect(() => nodeConfigsOf({ ...base, nodeName: 'n', maxPods: '-1' })).to.throw('--max-pods');
  });
});
