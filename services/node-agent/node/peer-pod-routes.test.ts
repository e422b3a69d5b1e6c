import { expect } from 'chai';
import type { Node } from '../../../lib/api/types';
import { desiredPeerRoutes } from './peer-pod-routes';

const node = (name: string, ip: string, cidr?: string): Node =>
  ({ metadata: { name }, spec: cidr ? { podCIDR: cidr } : {}, status: { addresses: ip ? [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] : [] } }) as Node;

describe('node agent: routes to the other nodes\' pod ranges', () => {
  it('routes every other node\'s podCIDR via its InternalIP, not its own, not same-host nodes, not incomplete ones', () => {
    const routes = desiredPeerRoutes(
      [node('n1', '172.20.0.5', '10.42.0.0/24'), node('n3', '172.20.0.7', '10.42.2.0/24'), node('n2', '172.20.0.6', '10.42.1.0/24'),
        node('same-host', '172.20.0.5', '10.42.3.0/24'), node('no-cidr', '172.20.0.8'), node('no-ip', '', '10.42.4.0/24')],
      { name: 'n1', address: '172.20.0.5' },
    );
    expect(routes).to.deep.equal([
      { cidr: '10.42.1.0/24', via: '172.20.0.6', node: 'n2' },
      { cidr: '10.42.2.0/24', via: '172.20.0.7', node: 'n3' },
    ]);
  });
});
