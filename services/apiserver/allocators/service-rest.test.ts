import { expect } from 'chai';
import { AlreadyExistsError, ApiError, InternalError, InvalidError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import { StoreClient } from '../../../store/client';
import type { Service } from '../kinds/core/service';
import { BACKENDS, type RunningBackend } from '../registry/test-support';
import type { ResourceRest } from '../rest/resource-rest';
import { ResourceSet } from '../rest/resource-set';
import { formatIpv4, nodePortRange, parseIpv4, serviceIpRange, staticBandSize } from './item-range';
import { repairServiceAllocations } from './repair';
import { ServiceAllocators } from './service-allocators';
import { serviceRestDecorator } from './service-rest';

async function thrown(fn: () => Promise<unknown>): Promise<ApiError> {
  try {
    await fn();
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected an error');
}

function svc(name: string, spec: Service['spec'] = {}): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } };
}

describe('item ranges', () => {
  it('service CIDR: no network, no broadcast, first usable reserved', () => {
    const r = serviceIpRange('10.43.0.0/16');
    expect(formatIpv4(r.first)).to.equal('10.43.0.1');
    expect(formatIpv4(r.last)).to.equal('10.43.255.254');
    expect(r.reserved.has(parseIpv4('10.43.0.1')!)).to.equal(true);
    expect(() => serviceIpRange('10.43.0.1/16')).to.throw(/host bits/);
    expect(() => serviceIpRange('10.43.0.0/31')).to.throw(/prefix length/);
    expect(parseIpv4('10.0.0.300')).to.equal(undefined);
  });
  it('service CIDR: KEP-3070 static band (size/16, 16..256) below the dynamic band', () => {
    expect(staticBandSize(65_536)).to.equal(256);
    expect(staticBandSize(1024)).to.equal(64);
    expect(staticBandSize(32)).to.equal(16);
    expect(staticBandSize(8)).to.equal(0); // no room for both bands: one band
    expect(formatIpv4(serviceIpRange('10.43.0.0/16').dynamicFirst)).to.equal('10.43.1.0');
    expect(formatIpv4(serviceIpRange('10.99.0.0/29').dynamicFirst)).to.equal('10.99.0.1');
  });
  it('NodePort range parses min-max', () => {
    const r = nodePortRange('30000-30002');
    expect([r.first, r.last]).to.deep.equal([30000, 30002]);
    expect(r.notInRangeMessage('1')).to.equal('provided port is not in the valid range. The range of valid ports is 30000-30002');
    expect(() => nodePortRange('3-1')).to.throw();
  });
});

for (const backend of BACKENDS) {
  describe(`Service allocation on ${backend.name}`, function () {
    this.timeout(120_000);
    let running: RunningBackend;
    let client: StoreClient;
    let seq = 0;

    before(async () => {
      running = await backend.start();
      client = new StoreClient({ endpoints: running.endpoints });
    });
    after(async () => {
      client?.close();
      await running?.stop();
    });

    /** A fresh key root per test, so tests don't share allocation records. */
    function allocators(config: ConstructorParameters<typeof ServiceAllocators>[1] = {}): ServiceAllocators {
      return new ServiceAllocators(client, { keyRoot: `/test-ranges/${++seq}/`, ...config });
    }
    function services(a: ServiceAllocators): { rest: ResourceRest; namespaces: ResourceRest } {
      const set = new ResourceSet({ client, decorators: { '/services': serviceRestDecorator(a) } });
      return { rest: set.byResource('', 'services')!, namespaces: set.byResource('', 'namespaces')! };
    }
    async function namespace(rest: ResourceRest): Promise<string> {
      const name = `ns-${++seq}`;
      await rest.create(undefined, { metadata: { name } } as KubeObject);
      return name;
    }
    async function records(a: ServiceAllocators): Promise<{ ips: string[]; ports: number[] }> {
      const ips = (await a.ips.list()).map((e) => formatIpv4(e.item)).sort();
      const ports = (await a.nodePorts.list()).map((e) => e.item).sort();
      return { ips, ports };
    }

    it('50 parallel creates through two apiservers on one store get 50 distinct ClusterIPs, each recorded for its Service', async () => {
      const a = allocators();
      const one = services(a);
      const two = services(new ServiceAllocators(client, { keyRoot: a.ips.prefix.slice(0, -'serviceips/'.length) }));
      const ns = await namespace(one.namespaces);
      const created = (await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? one.rest : two.rest).create(ns, svc(`s${i}`, { type: 'NodePort' }))),
      )) as Service[];
      const ips = created.map((s) => s.spec!.clusterIP!);
      expect(new Set(ips).size).to.equal(50);
      expect(new Set(created.map((s) => s.spec!.ports![0]!.nodePort)).size).to.equal(50);
      for (const s of created) {
        expect(s.spec!.clusterIPs).to.deep.equal([s.spec!.clusterIP]);
        expect(s.spec!.clusterIP).to.match(/^10\.43\./).and.not.equal('10.43.0.1');
      }
      const recs = await records(a);
      expect(recs.ips).to.deep.equal([...ips].sort());
      const kv = await client.get(a.ips.keyOf(parseIpv4(created[0]!.spec!.clusterIP!)!));
      expect(JSON.parse(kv.kvs[0]!.value.toString()).owner).to.deep.equal({ namespace: ns, name: 's0' });
    });

    it('an explicit ClusterIP or NodePort already taken is an Invalid error with Kubernetes’ message; out of range too', async () => {
      const a = allocators();
      const { rest, namespaces } = services(a);
      const ns = await namespace(namespaces);
      await rest.create(ns, svc('first', { type: 'NodePort', clusterIP: '10.43.0.5', ports: [{ port: 80, nodePort: 30080 }] }));
      const ipErr = await thrown(() => rest.create(ns, svc('second', { clusterIP: '10.43.0.5' })));
      expect(ipErr).to.be.instanceOf(InvalidError);
      expect(ipErr.message).to.equal('Service "second" is invalid: spec.clusterIPs: Invalid value: ["10.43.0.5"]: failed to allocate IP 10.43.0.5: provided IP is already allocated');
      const portErr = await thrown(() => rest.create(ns, svc('third', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })));
      expect(portErr.message).to.equal('Service "third" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
      const outside = await thrown(() => rest.create(ns, svc('fourth', { clusterIP: '10.44.0.9' })));
      expect(outside.message).to.equal(
        'Service "fourth" is invalid: spec.clusterIPs: Invalid value: ["10.44.0.9"]: failed to allocate IP 10.44.0.9: the provided IP (10.44.0.9) is not in the valid range. The range of valid IPs is 10.43.0.0/16',
      );
      const narrow = allocators({ nodePortRange: '31000-31010' });
      const n = services(narrow);
      const portRange = await thrown(() => n.rest.create(ns, svc('fifth', { type: 'NodePort', ports: [{ port: 80, nodePort: 30500 }] })));
      expect(portRange.message).to.equal(
        'Service "fifth" is invalid: spec.ports[0].nodePort: Invalid value: 30500: provided port is not in the valid range. The range of valid ports is 31000-31010',
      );
      // The failed creates gave back what they had taken (second/third took their IPs first).
      expect(await records(a)).to.deep.equal({ ips: ['10.43.0.5'], ports: [30080] });
      expect(await records(narrow)).to.deep.equal({ ips: [], ports: [] });
    });

    it('headless and ExternalName Services get no ClusterIP; the reserved first address is only given when asked for', async () => {
      const a = allocators();
      const { rest, namespaces } = services(a);
      const ns = await namespace(namespaces);
      const headless = (await rest.create(ns, svc('headless', { clusterIP: 'None' }))) as Service;
      expect(headless.spec!.clusterIP).to.equal('None');
      const ext = (await rest.create(ns, { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } } as Service)) as Service;
      expect(ext.spec!.clusterIP).to.equal(undefined);
      const k = (await rest.create(ns, svc('kubernetes', { clusterIP: a.kubernetesServiceIp }))) as Service;
      expect(k.spec!.clusterIP).to.equal('10.43.0.1');
      expect(await records(a)).to.deep.equal({ ips: ['10.43.0.1'], ports: [] });
    });

    it('releases on delete and on a failed create (AlreadyExists, validation takes nothing); dryRun takes nothing', async () => {
      const a = allocators();
      const { rest, namespaces } = services(a);
      const ns = await namespace(namespaces);
      const s = (await rest.create(ns, svc('web', { type: 'NodePort' }))) as Service;
      expect((await records(a)).ips).to.deep.equal([s.spec!.clusterIP]);
      const dup = await thrown(() => rest.create(ns, svc('web', { type: 'NodePort' })));
      expect(dup).to.be.instanceOf(AlreadyExistsError);
      const invalid = await thrown(() => rest.create(ns, svc('bad', { type: 'Weird' })));
      expect(invalid).to.be.instanceOf(InvalidError);
      const dry = (await rest.create(ns, svc('dry', { type: 'NodePort' }), { dryRun: true })) as Service;
      expect(dry.spec!.clusterIP).to.match(/^10\.43\./);
      expect(dry.spec!.ports![0]!.nodePort).to.be.within(30000, 32767);
      expect(await records(a)).to.deep.equal({ ips: [s.spec!.clusterIP!], ports: [s.spec!.ports![0]!.nodePort!] });
      await rest.delete(ns, 'web', { dryRun: true });
      expect((await records(a)).ips).to.have.length(1);
      const res = await rest.delete(ns, 'web');
      expect(res.deleted).to.equal(true);
      expect(await records(a)).to.deep.equal({ ips: [], ports: [] });
    });

    it('type changes: NodePort->ClusterIP releases the NodePorts after the write, ClusterIP->NodePort and ExternalName->ClusterIP allocate', async () => {
      const a = allocators();
      const { rest, namespaces } = services(a);
      const ns = await namespace(namespaces);
      const np = (await rest.create(ns, svc('np', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] }))) as Service;
      expect((await records(a)).ports).to.have.length(2);
      const asCluster = (await rest.update(ns, 'np', { ...np, spec: { ...np.spec, type: 'ClusterIP', externalTrafficPolicy: undefined } })) as Service;
      expect(asCluster.spec!.ports!.map((p) => p.nodePort)).to.deep.equal([undefined, undefined]);
      expect(asCluster.spec!.clusterIP).to.equal(np.spec!.clusterIP);
      expect(await records(a)).to.deep.equal({ ips: [np.spec!.clusterIP!], ports: [] });

      const back = (await rest.patch(ns, 'np', 'application/merge-patch+json', JSON.stringify({ spec: { type: 'NodePort' } }))) as Service;
      const ports = back.spec!.ports!.map((p) => p.nodePort!);
      expect(ports.every((p) => p >= 30000 && p <= 32767)).to.equal(true);
      expect((await records(a)).ports).to.deep.equal([...ports].sort());

      const ext = (await rest.create(ns, { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } } as Service)) as Service;
      const toCluster = (await rest.update(ns, 'ext', { ...ext, spec: { type: 'ClusterIP', ports: [{ port: 53 }] } })) as Service;
      expect(toCluster.spec!.clusterIP).to.match(/^10\.43\./);
      expect((await records(a)).ips).to.include(toCluster.spec!.clusterIP);

      // Changing the ClusterIP is the strategy's immutability error; nothing is taken.
      const before = await records(a);
      const imm = await thrown(() => rest.update(ns, 'ext', { ...toCluster, spec: { ...toCluster.spec, clusterIP: '10.43.9.9', clusterIPs: ['10.43.9.9'] } }));
      expect(imm).to.be.instanceOf(InvalidError);
      expect(imm.message).to.contain('field is immutable');
      // A stale resourceVersion conflicts and gives back what the attempt took.
      const stale = await thrown(() => rest.update(ns, 'ext', { ...ext, spec: { type: 'NodePort', ports: [{ port: 53 }] } }));
      expect(stale.code).to.equal(409);
      expect(await records(a)).to.deep.equal(before);
    });

    it('a full range is Kubernetes’ internal error and takes nothing', async () => {
      const a = allocators({ serviceCidr: '10.99.0.0/29', nodePortRange: '30000-30001' });
      const { rest, namespaces } = services(a);
      const ns = await namespace(namespaces);
      // /29: .1 reserved, .2-.6 to hand out.
      const made = (await Promise.all([0, 1, 2, 3, 4].map((i) => rest.create(ns, svc(`f${i}`))))) as Service[];
      expect(made.map((s) => s.spec!.clusterIP).sort()).to.deep.equal(['10.99.0.2', '10.99.0.3', '10.99.0.4', '10.99.0.5', '10.99.0.6']);
      const full = await thrown(() => rest.create(ns, svc('f5')));
      expect(full).to.be.instanceOf(InternalError);
      expect(full.message).to.equal('Internal error occurred: failed to allocate a serviceIP: range is full');
      await rest.delete(ns, 'f0');
      const np = await thrown(() => rest.create(ns, svc('np', { type: 'NodePort', ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }, { name: 'c', port: 3 }] })));
      expect(np.message).to.equal('Internal error occurred: failed to allocate a nodePort: range is full');
      expect((await records(a)).ports).to.deep.equal([]);
      expect((await records(a)).ips).to.have.length(4);
    });

    it('dynamic allocation takes the upper band first; the cluster DNS IP stays free until asked for', async () => {
      // /27: .1-.15 static (with .1 reserved and .10 the DNS IP), .16-.30 dynamic.
      const a = allocators({ serviceCidr: '10.99.0.0/27' });
      const { rest, namespaces } = services(a);
      const ns = await namespace(namespaces);
      const upper = (await Promise.all(Array.from({ length: 15 }, (_, i) => rest.create(ns, svc(`u${i}`))))) as Service[];
      const octets = upper.map((s) => Number(s.spec!.clusterIP!.split('.')[3])).sort((x, y) => x - y);
      expect(octets).to.deep.equal(Array.from({ length: 15 }, (_, i) => 16 + i));
      const dns = (await rest.create(ns, svc('kube-dns', { clusterIP: '10.99.0.10' }))) as Service;
      expect(dns.spec!.clusterIP).to.equal('10.99.0.10');
      // The upper band is full: the static band serves, never the reserved or the taken address.
      const spill = (await rest.create(ns, svc('spill'))) as Service;
      expect(['10.99.0.1', '10.99.0.10']).not.to.include(spill.spec!.clusterIP);
      expect(Number(spill.spec!.clusterIP!.split('.')[3])).to.be.within(2, 15);
    });

    it('repair frees a leaked record, records a missing one and leaves young records alone', async () => {
      let now = Date.parse('2024-05-01T00:00:00Z');
      const a = allocators({ clock: () => new Date(now) });
      const { rest, namespaces } = services(a);
      const ns = await namespace(namespaces);
      const kept = (await rest.create(ns, svc('kept'))) as Service;
      // A crash between allocation and write leaves a record whose owner never appeared.
      await a.ips.allocate('10.43.7.7', { namespace: ns, name: 'never-written' });
      // A record lost while its Service holds the IP.
      await client.delete(a.ips.keyOf(parseIpv4(kept.spec!.clusterIP!)!));
      const all = (await rest.list(ns, { limit: 500 })).items as Service[];
      const young = await repairServiceAllocations(a, all);
      expect(young.released).to.deep.equal([]);
      expect(young.recorded).to.deep.equal([a.ips.keyOf(parseIpv4(kept.spec!.clusterIP!)!)]);
      now += 61_000;
      const old = await repairServiceAllocations(a, all);
      expect(old.released).to.deep.equal([a.ips.keyOf(parseIpv4('10.43.7.7')!)]);
      expect(old.recorded).to.deep.equal([]);
      expect((await records(a)).ips).to.deep.equal([kept.spec!.clusterIP]);
    });
  });
}
