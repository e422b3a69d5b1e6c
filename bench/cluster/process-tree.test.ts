import { expect } from 'chai';
import { clusterProcesses, componentName } from './process-tree';

describe('bench/cluster process tree', () => {
  it('names a process after its bosun component and instance', () => {
    expect(componentName(['node', '/app/bin/bosun.js', 'up', '--ports', 'free'])).to.equal('launcher');
    expect(componentName(['node', '/app/bin/bosun.js', 'store', '--name', 'store-2', '--data-dir', 'x'])).to.equal('store store-2');
    expect(componentName(['node', '/app/bin/bosun.js', 'node-agent', '--node-name=node-1'])).to.equal('node-agent node-1');
    expect(componentName(['node', '/app/bin/bosun.js', 'apiserver', '--grpc-listen', 'x'])).to.equal('apiserver');
    expect(componentName(['/usr/sbin/nft', '-f', '-'])).to.equal('nft -f -');
  });

  it('finds this process and its children', async () => {
    const procs = clusterProcesses(process.pid);
    expect(procs[0]!.pid).to.equal(process.pid);
  });
});
