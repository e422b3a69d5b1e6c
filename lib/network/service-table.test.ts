import { expect } from 'chai';
import type { Service } from '../api/types/core';
import type { EndpointSlice } from '../api/types/discovery';
import { DEFAULT_AFFINITY_TIMEOUT_SECONDS, ServiceTable, usableEndpoints } from './service-table';

function service(name: string, spec: Service['spec'], extra: Partial<Service> = {}): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name }, spec, ...extra };
}

function slice(name: string, svc: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'] = [{ name: 'http', port: 8080, protocol: 'TCP' }]): EndpointSlice {
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { namespace: 'default', name, labels: { 'kubernetes.io/service-name': svc } }, addressType: 'IPv4', endpoints, ports };
}

const web = service('web', { clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] });

describe('ServiceTable', () => {
  it('joins a Service port with the endpoints of its slices, deduplicated and sorted', () => {
    const table = new ServiceTable();
    table.setService(web);
    table.setSlice(slice('web-a', 'web', [{ addresses: ['10.42.0.9'], nodeName: 'n1', conditions: { ready: true } }, { addresses: ['10.42.0.3'], conditions: { ready: false } }]));
    table.setSlice(slice('web-b', 'web', [{ addresses: ['10.42.0.3'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'web-1' } }]));
    const [entry] = table.entries();
    expect(entry.key).to.equal('default/web:http/TCP');
    expect(entry.clusterIPs).to.deep.equal(['10.43.0.20']);
    expect(entry.endpoints.map((e) => [e.ip, e.port, e.ready])).to.deep.equal([['10.42.0.3', 8080, true], ['10.42.0.9', 8080, true]]);
    expect(entry.endpoints[0].pod).to.equal('default/web-1');
    expect(table.findPort('default', 'web', 80)?.key).to.equal(entry.key);
    expect(table.findPort('default', 'web', 'http')?.key).to.equal(entry.key);
  });

  it('reports changed keys once, including removed entries, and nothing for a no-op update', () => {
    const table = new ServiceTable();
    table.setService(web);
    expect([...table.takeChanges()]).to.deep.equal(['default/web:http/TCP']);
    table.setService(web);
    expect(table.takeChanges().size).to.equal(0);
    table.deleteService('default', 'web');
    expect([...table.takeChanges()]).to.deep.equal(['default/web:http/TCP']);
    expect(table.entries()).to.have.length(0);
  });

  it('skips ExternalName, headless and other proxies’ Services', () => {
    const table = new ServiceTable();
    table.setService(service('ext', { type: 'ExternalName', externalName: 'example.test' }));
    table.setService(service('headless', { clusterIP: 'None', ports: [{ port: 80 }] }));
    table.setService(service('other', { clusterIP: '10.43.0.5', ports: [{ port: 80 }] }, { metadata: { namespace: 'default', name: 'other', labels: { 'service.kubernetes.io/service-proxy-name': 'x' } } }));
    expect(table.entries()).to.have.length(0);
  });

  it('reads affinity, node ports, load-balancer IPs and traffic policies', () => {
    const table = new ServiceTable();
    table.setService(service('lb', { type: 'LoadBalancer', clusterIP: '10.43.0.7', sessionAffinity: 'ClientIP', externalTrafficPolicy: 'Local', ports: [{ port: 53, nodePort: 30053, protocol: 'UDP' }] }, { status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } }));
    const [entry] = table.entries();
    expect(entry.key).to.equal('default/lb:/UDP');
    expect(entry.nodePort).to.equal(30053);
    expect(entry.loadBalancerIPs).to.deep.equal(['127.0.0.1']);
    expect(entry.sessionAffinity).to.deep.equal({ type: 'ClientIP', timeoutSeconds: DEFAULT_AFFINITY_TIMEOUT_SECONDS });
    expect(entry.externalTrafficPolicy).to.equal('Local');
    expect(entry.internalTrafficPolicy).to.equal('Cluster');
  });

  describe('usableEndpoints', () => {
    const table = new ServiceTable();
    table.setService(service('p', { clusterIP: '10.43.0.8', internalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80 }] }));
    table.setSlice(slice('p-a', 'p', [
      { addresses: ['10.42.0.2'], nodeName: 'n1', conditions: { ready: true } },
      { addresses: ['10.42.1.2'], nodeName: 'n2', conditions: { ready: true } },
      { addresses: ['10.42.1.3'], nodeName: 'n2', conditions: { ready: false, serving: true, terminating: true } },
    ]));
    const entry = table.entries()[0];

    it('keeps only this node’s endpoints under a Local policy, every ready one under Cluster', () => {
      expect(usableEndpoints(entry, 'internal', new Set(['n1'])).map((e) => e.ip)).to.deep.equal(['10.42.0.2']);
      expect(usableEndpoints(entry, 'external', new Set(['n1'])).map((e) => e.ip)).to.deep.equal(['10.42.0.2', '10.42.1.2']);
    });

    it('falls back to serving terminating endpoints only when none is ready', () => {
      const t = new ServiceTable();
      t.setService(service('p', { clusterIP: '10.43.0.8', ports: [{ name: 'http', port: 80 }] }));
      t.setSlice(slice('p-a', 'p', [{ addresses: ['10.42.1.3'], conditions: { ready: false, serving: true, terminating: true } }, { addresses: ['10.42.1.4'], conditions: { ready: false, serving: false, terminating: true } }]));
      expect(usableEndpoints(t.entries()[0], 'internal', new Set()).map((e) => e.ip)).to.deep.equal(['10.42.1.3']);
    });
  });
});
