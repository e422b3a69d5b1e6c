import { expect } from 'chai';
import { StoreClient } from '../../../store/client';
import { ServiceAllocators } from '../allocators/service-allocators';
import { serviceRestDecorator } from '../allocators/service-rest';
import type { Endpoints } from '../kinds/core/endpoints';
import type { Service } from '../kinds/core/service';
import { BACKENDS, type RunningBackend } from '../registry/test-support';
import { ResourceSet } from '../rest/resource-set';
import { endpointSubsets, KubernetesServiceController, MASTER_LEASES_PREFIX } from './kubernetes-service';
import { BOOTSTRAP_NAMESPACES, ensureSystemNamespaces } from './system-namespaces';

describe('endpointSubsets', () => {
  it('one subset per port, ports ascending, addresses in numeric order', () => {
    const subsets = endpointSubsets([
      { ip: '10.0.0.10', port: 6443 },
      { ip: '10.0.0.9', port: 6443 },
      { ip: '10.0.0.9', port: 6444 },
    ]);
    expect(subsets).to.deep.equal([
      { addresses: [{ ip: '10.0.0.9' }, { ip: '10.0.0.10' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
      { addresses: [{ ip: '10.0.0.9' }], ports: [{ name: 'https', port: 6444, protocol: 'TCP' }] },
    ]);
  });
});

for (const backend of BACKENDS) {
  describe(`apiserver bootstrap on ${backend.name}`, function () {
    this.timeout(120_000);
    let running: RunningBackend;
    const clients: StoreClient[] = [];
    const controllers: KubernetesServiceController[] = [];

    before(async () => {
      running = await backend.start();
    });
    after(async () => {
      for (const c of controllers) await c.stop().catch(() => undefined);
      for (const c of clients) c.close();
      await running?.stop();
    });

    /** One apiserver's pieces: its own store client, ResourceSet (with Service allocation) and controller. */
    function apiserver(address: string, port: number, ttl = 15): { controller: KubernetesServiceController; set: ResourceSet; client: StoreClient } {
      const client = new StoreClient({ endpoints: running.endpoints });
      clients.push(client);
      const allocators = new ServiceAllocators(client);
      const set = new ResourceSet({ client, decorators: { '/services': serviceRestDecorator(allocators) } });
      const controller = new KubernetesServiceController({ client, resources: set, address, port, serviceIp: allocators.kubernetesServiceIp, leaseTtlSeconds: ttl, reconcileIntervalMs: 60_000 });
      controllers.push(controller);
      return { controller, set, client };
    }

    async function endpoints(set: ResourceSet): Promise<Endpoints> {
      return (await set.byResource('', 'endpoints')!.get('default', 'kubernetes')) as Endpoints;
    }

    it('two apiservers starting together both succeed: namespaces, the kubernetes Service and Endpoints listing both', async () => {
      const a = apiserver('127.0.0.2', 6443);
      const b = apiserver('127.0.0.1', 6443);
      await Promise.all([a.controller.start(), b.controller.start()]);
      await a.controller.reconcile();
      for (const ns of BOOTSTRAP_NAMESPACES) expect((await a.set.byResource('', 'namespaces')!.get(undefined, ns)).metadata.name).to.equal(ns);
      expect(await ensureSystemNamespaces(a.set.byResource('', 'namespaces')!)).to.deep.equal([]);
      const svc = (await a.set.byResource('', 'services')!.get('default', 'kubernetes')) as Service;
      expect(svc.spec!.clusterIP).to.equal('10.43.0.1');
      expect(svc.spec!.ports).to.deep.equal([{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
      expect(svc.spec!.selector).to.equal(undefined);
      expect(svc.metadata.labels).to.deep.equal({ component: 'apiserver', provider: 'kubernetes' });
      const ep = await endpoints(b.set);
      expect(ep.subsets).to.deep.equal([
        { addresses: [{ ip: '127.0.0.1' }, { ip: '127.0.0.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
      ]);
      // Replicas agree: another pass by either writes nothing.
      await b.controller.reconcile();
      expect((await endpoints(a.set)).metadata.resourceVersion).to.equal(ep.metadata.resourceVersion);
    });

    it('drops an apiserver whose lease was revoked (stop) or expired (crash), and lists one subset per port', async () => {
      const c = apiserver('127.0.0.1', 7443, 2);
      await c.controller.start();
      const live = apiserver('127.0.0.3', 6443);
      await live.controller.start();
      const subsetsNow = (await endpoints(live.set)).subsets!;
      expect(subsetsNow.map((s) => [s.ports![0]!.port, s.addresses!.map((x) => x.ip)])).to.deep.equal([
        [6443, ['127.0.0.1', '127.0.0.2', '127.0.0.3']],
        [7443, ['127.0.0.1']],
      ]);

      // A clean stop revokes its lease and removes itself.
      await controllers[0]!.stop();
      const afterStop = (await endpoints(live.set)).subsets!;
      expect(afterStop.map((s) => [s.ports![0]!.port, s.addresses!.map((x) => x.ip)])).to.deep.equal([
        [6443, ['127.0.0.1', '127.0.0.3']],
        [7443, ['127.0.0.1']],
      ]);

      // A crash: the client dies without revoking; the lease expires after its TTL.
      c.client.close();
      const deadline = Date.now() + 30_000;
      for (;;) {
        await live.controller.reconcile();
        const ports = (await endpoints(live.set)).subsets!.map((s) => s.ports![0]!.port);
        if (!ports.includes(7443)) break;
        if (Date.now() > deadline) throw new Error('the crashed apiserver was never dropped');
        await new Promise((r) => setTimeout(r, 500));
      }
      const keys = (await live.client.get(MASTER_LEASES_PREFIX, { prefix: true, keysOnly: true })).kvs.map((kv) => kv.key.toString());
      expect(keys).to.deep.equal([`${MASTER_LEASES_PREFIX}127.0.0.1:6443`, `${MASTER_LEASES_PREFIX}127.0.0.3:6443`]);
    });
  });
}
