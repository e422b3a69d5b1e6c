import { expect } from 'chai';
import { DEFAULT_DNS_LISTEN, parseDnsFlags } from './dns-command';

describe('bosun dns flags', () => {
  it('defaults: 127.0.0.1:1053, cluster.local, 10.43.0.10, advertised on the listen host, no upstream, TTL 5', () => {
    expect(parseDnsFlags({ listen: DEFAULT_DNS_LISTEN })).to.deep.equal({
      listen: '127.0.0.1:1053',
      clusterDomain: 'cluster.local',
      clusterDnsIp: '10.43.0.10',
      advertiseAddress: '127.0.0.1',
      upstreams: [],
      ttlSeconds: 5,
      grpcListen: '',
    });
  });

  it('a wildcard listen host advertises loopback; "" does not register; upstreams parse', () => {
    expect(parseDnsFlags({ listen: '0.0.0.0:53' }).advertiseAddress).to.equal('127.0.0.1');
    expect(parseDnsFlags({ listen: '127.0.0.1:53', advertiseAddress: '' }).advertiseAddress).to.equal(undefined);
    expect(parseDnsFlags({ listen: '127.0.0.1:53', upstream: '1.1.1.1:53, 127.0.0.53:53' }).upstreams).to.deep.equal(['1.1.1.1:53', '127.0.0.53:53']);
    expect(parseDnsFlags({ listen: '127.0.0.1:53', clusterDomain: 'Corp.Example.' }).clusterDomain).to.equal('corp.example');
  });

  it('a bad flag is an error naming it', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ listen: 'nope' }, /^--listen: "nope" is not host:port/],
      [{ listen: '127.0.0.1:53', clusterDomain: 'bad_domain' }, /^--cluster-domain:/],
      [{ listen: '127.0.0.1:53', clusterDnsIp: '10.43.0.300' }, /^--cluster-dns-ip:/],
      [{ listen: '127.0.0.1:53', advertiseAddress: 'host' }, /^--advertise-address:/],
      [{ listen: '127.0.0.1:53', upstream: '8.8.8.8' }, /^--upstream:/],
      [{ listen: '127.0.0.1:53', ttl: '-1' }, /^--ttl:/],
      [{ listen: '127.0.0.1:53', grpcListen: 'x' }, /^--grpc-listen:/],
    ];
    for (const [flags, message] of bad) expect(() => parseDnsFlags(flags), JSON.stringify(flags)).to.throw(message);
  });
});
