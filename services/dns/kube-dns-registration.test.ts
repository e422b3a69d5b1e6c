import { expect } from 'chai';
import { RESOURCES } from '../../lib/api/resources';
import type { Endpoints, Service } from '../../lib/api/types/core';
import { FakeApiClient } from '../../lib/client/testing/fake-api-client';
import { ensureKubeDns, KUBE_DNS } from './kube-dns-registration';

describe('kube-dns registration', () => {
  const target = { clusterIp: '10.43.0.10', advertiseAddress: '127.0.0.1', port: 1053 };

  function setup() {
    const client = new FakeApiClient();
    return { client, services: client.resource<Service>(RESOURCES.services), endpoints: client.resource<Endpoints>(RESOURCES.endpoints) };
  }

  it('creates the Service (no selector, dns/dns-tcp on 53) and Endpoints naming this server, then changes nothing', async () => {
    const { services, endpoints } = setup();
    expect(await ensureKubeDns(services, endpoints, target)).to.deep.equal({ service: 'created', endpoints: 'created' });
    const svc = await services.get(KUBE_DNS.namespace, KUBE_DNS.name);
    expect(svc.spec!.clusterIP).to.equal('10.43.0.10');
    expect(svc.spec!.selector).to.equal(undefined);
    expect(svc.metadata.labels!['k8s-app']).to.equal('kube-dns');
    expect(svc.spec!.ports!.map((p) => [p.name, p.port, p.protocol])).to.deep.equal([
      ['dns', 53, 'UDP'],
      ['dns-tcp', 53, 'TCP'],
    ]);
    const eps = await endpoints.get(KUBE_DNS.namespace, KUBE_DNS.name);
    expect(eps.subsets).to.deep.equal([
      {
        addresses: [{ ip: '127.0.0.1' }],
        ports: [
          { name: 'dns', port: 1053, protocol: 'UDP' },
          { name: 'dns-tcp', port: 1053, protocol: 'TCP' },
        ],
      },
    ]);
    expect(await ensureKubeDns(services, endpoints, target)).to.deep.equal({ service: 'unchanged', endpoints: 'unchanged' });
  });

  it('corrects drift: a restart on another port updates the Endpoints; a selector someone added is removed', async () => {
    const { services, endpoints } = setup();
    await ensureKubeDns(services, endpoints, target);
    const svc = await services.get(KUBE_DNS.namespace, KUBE_DNS.name);
    await services.update(KUBE_DNS.namespace, { ...svc, spec: { ...svc.spec, selector: { app: 'x' } } });
    const outcome = await ensureKubeDns(services, endpoints, { ...target, port: 2053 });
    expect(outcome).to.deep.equal({ service: 'updated', endpoints: 'updated' });
    expect((await services.get(KUBE_DNS.namespace, KUBE_DNS.name)).spec!.selector).to.equal(undefined);
    expect((await endpoints.get(KUBE_DNS.namespace, KUBE_DNS.name)).subsets![0]!.ports!.map((p) => p.port)).to.deep.equal([2053, 2053]);
  });

  it('reports a Service holding another ClusterIP (immutable) instead of fighting it', async () => {
    const { services, endpoints } = setup();
    await ensureKubeDns(services, endpoints, { ...target, clusterIp: '10.43.0.53' });
    const outcome = await ensureKubeDns(services, endpoints, target);
    expect(outcome.clusterIpMismatch).to.equal('10.43.0.53');
  });
});
