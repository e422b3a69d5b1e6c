import { expect } from 'chai';
import type { FieldError } from '../../../../lib/api/errors';
import { printerFor } from '../../../../lib/api/printers/table';
import { decodeObject, encodeObject } from '../../../../lib/api/proto/convert';
import { DefaultIngressClass, defaultIngressClass } from '../../admission/default-ingress-class';
import { ingressClassStrategy, ingressStrategy, networkingStrategies, type Ingress, type IngressClass } from './index';
import { RESOURCES } from '../../../../lib/api/resources';

function lines(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

const ing = (spec: Ingress['spec'], annotations?: Record<string, string>): Ingress => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default', ...(annotations ? { annotations } : {}) }, spec,
});
const svc = (name: string, port: number | string) => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });
const cls = (name: string, controller: string, extra: Partial<IngressClass['metadata']> = {}, parameters?: object): IngressClass => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name, ...extra }, spec: { controller, ...(parameters ? { parameters } : {}) } as IngressClass['spec'],
});

describe('networking.k8s.io/v1 Ingress and IngressClass strategies', () => {
  it('serves Ingress namespaced with status and short name ing, IngressClass cluster-scoped', () => {
    expect(networkingStrategies).to.deep.equal([ingressStrategy, ingressClassStrategy]);
    expect(ingressStrategy.info).to.deep.include({ group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', resource: 'ingresses', namespaced: true, shortNames: ['ing'] });
    expect(ingressStrategy.hasStatus).to.equal(true);
    expect(ingressClassStrategy.info).to.deep.include({ kind: 'IngressClass', resource: 'ingressclasses', namespaced: false });
  });

  it('accepts the Ingress kubectl create ingress writes, wildcard hosts and TLS', () => {
    const ok = ing({
      rules: [
        { host: 'foo.example.com', http: { paths: [{ path: '/app', pathType: 'Prefix', backend: svc('web', 80) }] } },
        { host: '*.example.com', http: { paths: [{ path: '/', pathType: 'Exact', backend: svc('web', 'http') }, { pathType: 'ImplementationSpecific', backend: svc('web', 80) }] } },
      ],
      tls: [{ hosts: ['foo.example.com', '*.example.com'], secretName: 'tls-cert' }],
    });
    expect(ingressStrategy.validate(ok)).to.deep.equal([]);
    expect(ingressStrategy.validate(ing({ defaultBackend: svc('web', 80) }))).to.deep.equal([]);
  });

  it('reports bad rules with their field paths', () => {
    const bad = ing({
      rules: [
        { host: '10.0.0.1' },
        { host: 'a.*.com', http: { paths: [] } },
        { host: 'ok.example.com', http: { paths: [
          { path: 'app', pathType: 'Prefix', backend: svc('web', 80) },
          { path: '/a', backend: svc('web', 80) } as never,
          { path: '/b', pathType: 'Regex' as never, backend: svc('web', 80) },
          { path: '/c//d', pathType: 'Exact', backend: {} },
          { path: '/d', pathType: 'Exact', backend: { ...svc('web', 80), resource: { kind: 'Bucket', name: 'b' } } },
          { path: '/e', pathType: 'Exact', backend: { service: { name: 'web', port: { number: 80, name: 'http' } } } },
          { path: '/f', pathType: 'Exact', backend: { service: { name: 'web', port: {} } } },
        ] } },
      ],
    });
    const got = lines(ingressStrategy.validate(bad));
    expect(got[9]).to.match(/^spec\.rules\[2\]\.http\.paths\[5\]\.backend\.service\.port: Invalid value: .*: cannot specify both port name and port number$/);
    expect(got.filter((_, i) => i !== 9)).to.deep.equal([
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[1].host: Invalid value: "a.*.com": a wildcard DNS-1123 subdomain must start with \'*.\', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, \'-\' or \'.\' and end with an alphanumeric character (e.g. \'*.example.com\', regex used for validation is \'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'spec.rules[1].http.paths: Required value',
      'spec.rules[2].http.paths[0].path: Invalid value: "app": must be an absolute path',
      'spec.rules[2].http.paths[1].pathType: Required value: pathType must be specified',
      'spec.rules[2].http.paths[2].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
      'spec.rules[2].http.paths[3].path: Invalid value: "/c//d": must not contain \'//\'',
      'spec.rules[2].http.paths[3].backend: Invalid value: "": resource or service backend is required',
      'spec.rules[2].http.paths[4].backend: Invalid value: "": cannot set both resource and service backends',
      'spec.rules[2].http.paths[6].backend.service.port: Required value: port name or number is required',
    ]);
  });

  it('needs rules or a default backend; checks TLS, class name, the legacy annotation and status', () => {
    expect(lines(ingressStrategy.validate(ing({})))[0]).to.match(/^spec: Invalid value: .*either `defaultBackend` or `rules` must be specified$/);
    const errs = lines(ingressStrategy.validate(ing({ defaultBackend: svc('web', 80), tls: [{ hosts: ['Bad_Host'], secretName: 'Bad_Secret' }], ingressClassName: 'Bad' })));
    expect(errs.map((e) => e.split(':')[0])).to.deep.equal(['spec.tls[0].hosts[0]', 'spec.tls[0].secretName', 'spec.ingressClassName']);
    expect(lines(ingressStrategy.validate(ing({ defaultBackend: svc('web', 80), ingressClassName: 'a' }, { 'kubernetes.io/ingress.class': 'b' })))).to.deep.equal([
      'annotations[kubernetes.io/ingress.class]: Invalid value: "b": must match `ingressClassName` when both are specified',
    ]);
    const withStatus = { ...ing({ defaultBackend: svc('web', 80) }), status: { loadBalancer: { ingress: [{ ip: '300.1.1.1' }, { hostname: '10.0.0.1' }, { ip: '127.0.0.1' }] } } };
    expect(lines(ingressStrategy.validateUpdate(withStatus, withStatus))).to.deep.equal([
      'status.loadBalancer.ingress[0].ip: Invalid value: "300.1.1.1": must be a valid IP address',
      'status.loadBalancer.ingress[1].hostname: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    ]);
  });

  it('requires an IngressClass controller as a domain-prefixed path, immutable; defaults parameter scope', () => {
    expect(ingressClassStrategy.validate(cls('bosun', 'bosun.dev/ingress-controller'))).to.deep.equal([]);
    expect(lines(ingressClassStrategy.validate(cls('x', '')))).to.deep.equal(['spec.controller: Required value']);
    expect(lines(ingressClassStrategy.validate(cls('x', 'nginx')))).to.deep.equal(['spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")']);
    expect(lines(ingressClassStrategy.validateUpdate(cls('x', 'b.dev/c'), cls('x', 'a.dev/c')))).to.deep.equal(['spec.controller: Invalid value: "b.dev/c": field is immutable']);
    const p = cls('x', 'a.dev/c', {}, { kind: 'Params', name: 'p' });
    ingressClassStrategy.prepareForCreate(p);
    expect(p.spec?.parameters?.scope).to.equal('Cluster');
    expect(ingressClassStrategy.validate(p)).to.deep.equal([]);
    expect(lines(ingressClassStrategy.validate(cls('x', 'a.dev/c', {}, { kind: 'P', name: 'p', scope: 'Namespace' })))).to.deep.equal([
      "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'",
    ]);
  });

  it('prints NAME CLASS HOSTS ADDRESS PORTS AGE and NAME CONTROLLER PARAMETERS AGE as kubectl does', () => {
    const ctx = { now: new Date('2026-01-01T00:10:00Z') };
    const i = { ...ing({ ingressClassName: 'bosun', rules: [{ host: 'a.test' }, {}, { host: 'c.test' }, { host: 'd.test' }], tls: [{ hosts: ['a.test'] }] }), status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } };
    i.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
    const p = printerFor('Ingress', 'networking.k8s.io');
    expect(p.columns.map((c) => c.name)).to.deep.equal(['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
    expect(p.cells(i, ctx)).to.deep.equal(['web', 'bosun', 'a.test,c.test + 1 more...', '127.0.0.1', '80, 443', '10m']);
    expect(p.cells(ing({ defaultBackend: svc('web', 80) }), ctx).slice(1, 5)).to.deep.equal(['<none>', '*', '', '80']);
    const c = printerFor('IngressClass', 'networking.k8s.io');
    expect(c.columns.map((x) => x.name)).to.deep.equal(['Name', 'Controller', 'Parameters', 'Age']);
    expect(c.cells(cls('bosun', 'bosun.dev/ingress-controller'), ctx).slice(0, 3)).to.deep.equal(['bosun', 'bosun.dev/ingress-controller', '<none>']);
    expect(c.cells(cls('x', 'a.dev/c', {}, { apiGroup: 'k8s.example.com', kind: 'P', name: 'p' }), ctx)[2]).to.equal('P.k8s.example.com/p');
  });

  it('round-trips through protobuf with the rule value inlined and parameters.apiGroup named as in JSON', () => {
    const i = ing({ rules: [{ host: 'a.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: svc('web', 80) }] } }], tls: [{ hosts: ['a.test'], secretName: 's' }] });
    const { kind, bytes } = encodeObject(i as never);
    expect(decodeObject(kind, bytes)).to.deep.equal(i);
    const c = cls('x', 'a.dev/c', {}, { apiGroup: 'g.dev', kind: 'P', name: 'p', scope: 'Cluster' });
    const enc = encodeObject(c as never);
    expect(decodeObject(enc.kind, enc.bytes)).to.deep.equal(c);
  });

  it('admission gives an Ingress without a class the default IngressClass (the newest when several)', async () => {
    const def = { 'ingressclass.kubernetes.io/is-default-class': 'true' };
    const classes = [
      cls('old', 'a.dev/c', { annotations: def, creationTimestamp: '2026-01-01T00:00:00Z' }),
      cls('new', 'a.dev/c', { annotations: def, creationTimestamp: '2026-01-02T00:00:00Z' }),
      cls('plain', 'a.dev/c', { creationTimestamp: '2026-01-03T00:00:00Z' }),
    ];
    expect(defaultIngressClass(classes)?.metadata.name).to.equal('new');
    const plugin = new DefaultIngressClass(async () => classes);
    const a = ing({ defaultBackend: svc('web', 80) });
    await plugin.admitCreate(RESOURCES.ingresses, 'default', a);
    expect(a.spec?.ingressClassName).to.equal('new');
    const b = ing({ defaultBackend: svc('web', 80), ingressClassName: 'mine' });
    await plugin.admitCreate(RESOURCES.ingresses, 'default', b);
    expect(b.spec?.ingressClassName).to.equal('mine');
    const legacy = ing({ defaultBackend: svc('web', 80) }, { 'kubernetes.io/ingress.class': 'nginx' });
    await plugin.admitCreate(RESOURCES.ingresses, 'default', legacy);
    expect(legacy.spec?.ingressClassName).to.equal(undefined);
    const none = ing({ defaultBackend: svc('web', 80) });
    await new DefaultIngressClass(async () => [classes[2]!]).admitCreate(RESOURCES.ingresses, 'default', none);
    expect(none.spec?.ingressClassName).to.equal(undefined);
  });
});
