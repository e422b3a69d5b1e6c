import { expect } from 'chai';
import { serviceStrategy, type Service, type ServiceSpec } from './service';
import { clone, lines } from './test-helpers';

function svc(spec: ServiceSpec, name = 'web'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: clone(spec) };
}
function created(spec: ServiceSpec, name = 'web'): Service {
  const s = svc(spec, name);
  serviceStrategy.prepareForCreate(s);
  return s;
}

describe('core/v1 Service strategy', () => {
  it('defaults type, sessionAffinity, traffic policy, protocol and targetPort', () => {
    const s = created({ selector: { app: 'web' }, ports: [{ port: 80 }] });
    expect(s.spec).to.deep.equal({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    });
    expect(s.status).to.deep.equal({ loadBalancer: {} });
    expect(serviceStrategy.validate(s)).to.deep.equal([]);
    const np = created({ type: 'NodePort', ports: [{ port: 80, targetPort: 'http', nodePort: 30080 }] });
    expect(np.spec!.externalTrafficPolicy).to.equal('Cluster');
    expect(np.spec!.ports![0]!.targetPort).to.equal('http');
    expect(serviceStrategy.validate(np)).to.deep.equal([]);
  });

  const cases: { name: string; spec: ServiceSpec; svcName?: string; errors: string[] }[] = [
    { name: 'port 0', spec: { ports: [{ port: 0 }] }, errors: ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive', 'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive'] },
    { name: 'no ports', spec: { selector: { app: 'a' } }, errors: ['spec.ports: Required value'] },
    {
      name: 'names required and unique with several ports',
      spec: { ports: [{ port: 80 }, { port: 81, name: 'a' }, { port: 82, name: 'a' }] },
      errors: ['spec.ports[0].name: Required value', 'spec.ports[2].name: Duplicate value: "a"'],
    },
    {
      name: 'nodePort on a ClusterIP service',
      spec: { ports: [{ port: 80, nodePort: 30001 }] },
      errors: ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    },
    {
      name: 'nodePort out of range',
      spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] },
      errors: ['spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767'],
    },
    {
      name: 'unsupported type, affinity and protocol',
      spec: { type: 'Magic', sessionAffinity: 'Sticky', ports: [{ port: 80, protocol: 'ICMP' }] },
      errors: [
        'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"',
        'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
        'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      ],
    },
    {
      name: 'bad selector label and clusterIP',
      spec: { clusterIP: '10.0.0.300', selector: { app: 'a b' }, ports: [{ port: 80 }] },
      errors: [
        'spec.clusterIP: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        `spec.selector: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    },
    { name: 'ExternalName without externalName', spec: { type: 'ExternalName' }, errors: ['spec.externalName: Required value'] },
    { name: 'headless service without ports is fine', spec: { clusterIP: 'None', selector: { app: 'a' } }, errors: [] },
    {
      name: 'name must be a DNS-1035 label',
      svcName: '1web',
      spec: { ports: [{ port: 80 }] },
      errors: [
        `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      ],
    },
  ];
  for (const c of cases) {
    it(`validation: ${c.name}`, () => expect(lines(serviceStrategy.validate(created(c.spec, c.svcName)))).to.deep.equal(c.errors));
  }

  describe('update', () => {
    const old = () => {
      const s = created({ type: 'NodePort', clusterIP: '10.96.0.10', selector: { app: 'a' }, ports: [{ name: 'http', port: 80, nodePort: 30080 }] });
      return s;
    };
    it('clusterIP is immutable once set', () => {
      const o = old();
      const n = clone(o);
      n.spec!.clusterIP = '10.96.0.11';
      n.spec!.clusterIPs = ['10.96.0.11'];
      serviceStrategy.prepareForUpdate(n, o);
      expect(lines(serviceStrategy.validateUpdate(n, o))).to.deep.equal(['spec.clusterIP: Invalid value: "10.96.0.11": field is immutable']);
    });
    it('an update that omits clusterIP and nodePorts keeps the allocated ones', () => {
      const o = old();
      const n = svc({ type: 'NodePort', selector: { app: 'b' }, ports: [{ name: 'http', port: 80 }] });
      serviceStrategy.prepareForUpdate(n, o);
      expect(n.spec!.clusterIP).to.equal('10.96.0.10');
      expect(n.spec!.clusterIPs).to.deep.equal(['10.96.0.10']);
      expect(n.spec!.ports![0]!.nodePort).to.equal(30080);
      expect(serviceStrategy.validateUpdate(n, o)).to.deep.equal([]);
      expect(serviceStrategy.specChanged(n, o)).to.equal(true);
    });
  });

  it('a change to ClusterIP drops the allocated nodePorts', () => {
    const o = created({ type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }] });
    const n = clone(o);
    n.spec!.type = 'ClusterIP';
    delete n.spec!.externalTrafficPolicy;
    serviceStrategy.prepareForUpdate(n, o);
    expect(n.spec!.ports).to.deep.equal([{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    expect(serviceStrategy.validateUpdate(n, o)).to.deep.equal([]);
  });

  it('has Kubernetes identity', () => {
    expect(serviceStrategy.info).to.deep.include({ group: '', version: 'v1', kind: 'Service', resource: 'services', singular: 'service', namespaced: true, shortNames: ['svc'], categories: ['all'] });
    expect(serviceStrategy.hasStatus).to.equal(true);
  });
});
