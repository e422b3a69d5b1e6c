import { expect } from 'chai';
import pino from 'pino';
import { createDataPath, parseProxyMode } from '../services/proxy/data-paths';
import { dataPathOptionsOf, parseIpv4Cidr, parseNodePortAddresses } from './proxy-command';

describe('bosun proxy flags', () => {
  const logger = pino({ level: 'silent' });

  it('reads the data path options from the flags, with Kubernetes-style defaults', () => {
    const o = dataPathOptionsOf({ nodeNames: 'a, b', serviceCidr: '10.43.0.0/16', clusterCidr: '10.42.0.0/16', nodeportAddresses: '127.0.0.1,192.0.2.7' }, logger);
    expect([...o.localNodes]).to.deep.equal(['a', 'b']);
    expect(o.nodePortAddresses).to.deep.equal(['127.0.0.1', '192.0.2.7']);
    expect(dataPathOptionsOf({}, logger)).to.deep.include({ serviceCidr: '10.43.0.0/16', clusterCidr: '10.42.0.0/16', nodePortAddresses: [] });
  });

  it('names the flag in every error', () => {
    expect(() => dataPathOptionsOf({ nodeNames: 'Bad_Node' }, logger)).to.throw('--node-names');
    expect(() => parseIpv4Cidr('service-cidr', '10.43.0.0')).to.throw('--service-cidr: "10.43.0.0" is not an IPv4 CIDR');
    expect(() => parseIpv4Cidr('cluster-cidr', '10.42.0.0/40')).to.throw('--cluster-cidr');
    expect(() => parseNodePortAddresses('127.0.0.1,localhost')).to.throw('--nodeport-addresses: "localhost"');
    expect(() => parseProxyMode('iptables')).to.throw('--mode: "iptables" is not one of userspace, nftables');
  });

  it('builds either data path (building one touches nothing)', () => {
    const options = dataPathOptionsOf({}, logger);
    expect(createDataPath('userspace', options).mode).to.equal('userspace');
    expect(createDataPath('nftables', options).mode).to.equal('nftables');
  });
});
