import { expect } from 'chai';
import type { Answer } from 'dns-packet';
import { DnsIndex } from './dns-index';
import { resolve, type DnsQuestion, type Resolution, type ResolverConfig } from './resolver';
import { service, slice } from './test-objects';

const config: ResolverConfig = { zone: 'cluster.local', ttlSeconds: 5, dnsIp: '10.43.0.10' };

function fixture(): DnsIndex {
  const index = new DnsIndex();
  index.setService(service('default', 'api', { clusterIP: '10.43.1.7', clusterIPs: ['10.43.1.7'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }, { port: 9000 }] }));
  index.setService(service('default', 'nginx', { clusterIP: 'None', ports: [{ name: 'web', port: 80 }] }));
  index.setSlice(
    slice('default', 'nginx', 'nginx-a', [
      { addresses: ['10.42.0.5'], hostname: 'web-0', conditions: { ready: true } },
      { addresses: ['10.42.1.9'], hostname: 'web-1', conditions: { ready: false } },
    ]),
  );
  index.setSlice(slice('default', 'nginx', 'nginx-b', [{ addresses: ['10.42.0.6'] }]));
  index.setService(service('default', 'empty-headless', { clusterIP: 'None', ports: [{ name: 'web', port: 80 }] }));
  index.setService(service('ext', 'db', { type: 'ExternalName', externalName: 'db.example.com.' }));
  return index;
}

function ask(index: DnsIndex, name: string, type: DnsQuestion['type']): Extract<Resolution, { kind: 'answer' }> {
  const r = resolve(index, { name, type }, config);
  if (r.kind !== 'answer') throw new Error(`${name} ${type}: outside the zone`);
  return r;
}

function data(answers: Answer[]): unknown[] {
  return answers.map((a) => (a.type === 'OPT' ? undefined : a.data));
}

describe('dns resolver', () => {
  const index = fixture();

  it('A of a ClusterIP Service is its ClusterIP, with the 5 s TTL; case and trailing dot do not matter', () => {
    const r = ask(index, 'API.default.svc.cluster.local.', 'A');
    expect(r.rcode).to.equal('NOERROR');
    expect(data(r.answers)).to.deep.equal(['10.43.1.7']);
    expect(r.answers[0]!.type === 'A' && r.answers[0]!.ttl).to.equal(5);
  });

  it('AAAA of an IPv4 Service is NODATA: NOERROR, no answer, the SOA in authority', () => {
    const r = ask(index, 'api.default.svc.cluster.local', 'AAAA');
    expect(r.rcode).to.equal('NOERROR');
    expect(r.answers).to.deep.equal([]);
    expect(r.authorities.map((a) => a.type)).to.deep.equal(['SOA']);
  });

  it('a name that does not exist is NXDOMAIN with the SOA', () => {
    for (const name of ['nope.default.svc.cluster.local', 'web-9.nginx.default.svc.cluster.local', 'x.api.default.svc.cluster.local', 'a.b.c.d.e.svc.cluster.local', 'foo.cluster.local', '_http._udp.api.default.svc.cluster.local', 'nope.pod.cluster.local.x.default.pod.cluster.local']) {
      const r = ask(index, name, 'A');
      expect(r.rcode, name).to.equal('NXDOMAIN');
      expect(r.authorities.map((a) => a.type), name).to.deep.equal(['SOA']);
    }
  });

  it('names without records of their own are NODATA: the namespace, svc, pod, and _proto under a Service', () => {
    for (const name of ['default.svc.cluster.local', 'svc.cluster.local', 'pod.cluster.local', 'default.pod.cluster.local', '_tcp.api.default.svc.cluster.local']) {
      expect(ask(index, name, 'A').rcode, name).to.equal('NOERROR');
    }
    expect(ask(index, 'nosuchns.svc.cluster.local', 'A').rcode).to.equal('NXDOMAIN');
  });

  it('a headless Service resolves to its ready endpoints, one record per address across slices', () => {
    expect(data(ask(index, 'nginx.default.svc.cluster.local', 'A').answers)).to.deep.equal(['10.42.0.5', '10.42.0.6']);
    const none = ask(index, 'empty-headless.default.svc.cluster.local', 'A');
    expect([none.rcode, none.answers.length]).to.deep.equal(['NOERROR', 0]);
  });

  it('endpoint names: hostname (StatefulSet pods) or dashed IP; unready endpoints have none', () => {
    expect(data(ask(index, 'web-0.nginx.default.svc.cluster.local', 'A').answers)).to.deep.equal(['10.42.0.5']);
    expect(data(ask(index, '10-42-0-6.nginx.default.svc.cluster.local', 'A').answers)).to.deep.equal(['10.42.0.6']);
    expect(ask(index, 'web-1.nginx.default.svc.cluster.local', 'A').rcode).to.equal('NXDOMAIN');
  });

  it('SRV of a named port: ClusterIP targets the Service name (A in additional), headless one per ready endpoint', () => {
    const r = ask(index, '_http._tcp.api.default.svc.cluster.local', 'SRV');
    expect(data(r.answers)).to.deep.equal([{ priority: 0, weight: 100, port: 80, target: 'api.default.svc.cluster.local' }]);
    expect(data(r.additionals)).to.deep.equal(['10.43.1.7']);
    expect(data(ask(index, '_dns._udp.api.default.svc.cluster.local', 'SRV').answers)).to.deep.equal([{ priority: 0, weight: 100, port: 53, target: 'api.default.svc.cluster.local' }]);
    const h = ask(index, '_web._tcp.nginx.default.svc.cluster.local', 'SRV');
    expect(h.answers.map((a) => a.type === 'SRV' && a.data.target)).to.deep.equal(['web-0.nginx.default.svc.cluster.local', '10-42-0-6.nginx.default.svc.cluster.local']);
    expect(data(h.additionals)).to.deep.equal(['10.42.0.5', '10.42.0.6']);
    // The SRV name exists, so A there is NODATA.
    expect(ask(index, '_http._tcp.api.default.svc.cluster.local', 'A').rcode).to.equal('NOERROR');
  });

  it('SRV on the Service name lists every port', () => {
    expect(ask(index, 'api.default.svc.cluster.local', 'SRV').answers.map((a) => a.type === 'SRV' && a.data.port)).to.deep.equal([80, 53, 9000]);
  });

  it('ExternalName is a CNAME for every type', () => {
    for (const type of ['A', 'AAAA', 'CNAME'] as const) {
      const r = ask(index, 'db.ext.svc.cluster.local', type);
      expect(r.answers.map((a) => [a.type, a.type === 'CNAME' && a.data])).to.deep.equal([['CNAME', 'db.example.com']]);
    }
  });

  it('pod records take the IP from the name; a malformed one is NXDOMAIN', () => {
    expect(data(ask(index, '10-42-3-4.default.pod.cluster.local', 'A').answers)).to.deep.equal(['10.42.3.4']);
    expect(ask(index, '10-42-3-400.default.pod.cluster.local', 'A').rcode).to.equal('NXDOMAIN');
    expect(ask(index, '10-42-3-4.default.pod.cluster.local', 'AAAA').rcode).to.equal('NOERROR');
  });

  it('SOA and NS at the apex; ns.dns is the cluster DNS IP', () => {
    const soa = ask(index, 'cluster.local', 'SOA');
    expect(soa.answers.map((a) => a.type)).to.deep.equal(['SOA']);
    expect(data(ask(index, 'cluster.local', 'NS').answers)).to.deep.equal(['ns.dns.cluster.local']);
    expect(data(ask(index, 'ns.dns.cluster.local', 'A').answers)).to.deep.equal(['10.43.0.10']);
  });

  it('PTR of a ClusterIP and of a headless endpoint; other addresses are outside', () => {
    expect(data(ask(index, '7.1.43.10.in-addr.arpa', 'PTR').answers)).to.deep.equal(['api.default.svc.cluster.local']);
    expect(data(ask(index, '5.0.42.10.in-addr.arpa', 'PTR').answers)).to.deep.equal(['web-0.nginx.default.svc.cluster.local']);
    expect(resolve(index, { name: '8.8.8.8.in-addr.arpa', type: 'PTR' }, config).kind).to.equal('outside');
  });

  it('names outside the cluster domain are outside (forwarded or refused by the server)', () => {
    expect(resolve(index, { name: 'example.com', type: 'A' }, config).kind).to.equal('outside');
    expect(resolve(index, { name: 'notcluster.local', type: 'A' }, config).kind).to.equal('outside');
  });

  it('follows changes: a deleted Service and its slices disappear', () => {
    const i = fixture();
    i.deleteService('default', 'nginx');
    expect(ask(i, 'nginx.default.svc.cluster.local', 'A').rcode).to.equal('NXDOMAIN');
    i.setService(service('default', 'nginx', { clusterIP: 'None', ports: [{ name: 'web', port: 80 }] }));
    i.deleteSlice(slice('default', 'nginx', 'nginx-b', []));
    expect(data(ask(i, 'nginx.default.svc.cluster.local', 'A').answers)).to.deep.equal(['10.42.0.5']);
  });
});
