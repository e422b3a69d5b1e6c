import { expect } from 'chai';
import type { Ingress, IngressSpec } from '../../lib/api/types/networking';
import { RouteTable, normalizeHost, wildcardOf } from './route-table';

let clock = 0;
const ing = (name: string, spec: IngressSpec, created?: string): Ingress => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
  metadata: { name, namespace: 'default', creationTimestamp: created ?? `2026-01-01T00:00:${String(clock++).padStart(2, '0')}Z` },
  spec,
});
const to = (service: string, port: number | string = 80) => ({ service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } });
const rule = (host: string | undefined, ...paths: [string, 'Exact' | 'Prefix' | 'ImplementationSpecific', string][]) => ({
  ...(host ? { host } : {}),
  http: { paths: paths.map(([path, pathType, svc]) => ({ path, pathType, backend: to(svc) })) },
});

describe('ingress RouteTable: host and path matching', () => {
  const table = new RouteTable([
    ing('main', {
      rules: [
        rule('foo.example.com', ['/', 'Prefix', 'root'], ['/app', 'Prefix', 'app'], ['/app/v2/', 'Prefix', 'v2'], ['/exact', 'Exact', 'exact'], ['/both', 'Prefix', 'both-prefix'], ['/both', 'Exact', 'both-exact']),
        rule('*.example.com', ['/', 'Prefix', 'wild']),
        rule(undefined, ['/any', 'ImplementationSpecific', 'hostless']),
      ],
    }),
    ing('other', { rules: [rule('foo.example.com', ['/app/v2/deep', 'Prefix', 'deep'], ['/app', 'Prefix', 'younger-app'])] }),
    ing('fallback', { defaultBackend: to('default-svc') }),
  ]);
  const svc = (host: string | undefined, path: string) => table.match(host, path)?.route.backend?.service;

  const cases: [string | undefined, string, string | undefined][] = [
    ['foo.example.com', '/', 'root'],
    ['foo.example.com', '/app', 'app'],
    ['foo.example.com', '/app/', 'app'],
    ['foo.example.com', '/app/x', 'app'],
    ['foo.example.com', '/apple', 'root'], // by path elements: /app does not match /apple
    ['foo.example.com', '/app/v2', 'v2'], // trailing / of the rule ignored
    ['foo.example.com', '/app/v2/x?q=1', 'v2'],
    ['foo.example.com', '/app/v2/deep/er', 'deep'], // longest match across Ingresses
    ['foo.example.com', '/exact', 'exact'],
    ['foo.example.com', '/exact/', 'root'], // Exact is exact
    ['foo.example.com', '/both', 'both-exact'], // Exact beats Prefix of the same length
    ['foo.example.com', '/both/x', 'both-prefix'],
    ['FOO.example.com:8080', '/app', 'app'], // case and port ignored
    ['bar.example.com', '/anything', 'wild'],
    ['a.b.example.com', '/any', 'hostless'], // the wildcard covers one label only
    ['example.com', '/any/thing', 'hostless'],
    ['unknown.test', '/nothing', 'default-svc'],
    [undefined, '/any', 'hostless'],
  ];
  for (const [host, path, want] of cases) {
    it(`${host ?? '(no host)'} ${path} → ${want}`, () => expect(svc(host, path)).to.equal(want));
  }

  it('lets the oldest Ingress win an identical path, and answers nothing without rules or default', () => {
    const t = new RouteTable([ing('young', { rules: [rule('a.test', ['/', 'Prefix', 'young'])] }, '2026-02-01T00:00:00Z'), ing('old', { rules: [rule('a.test', ['/', 'Prefix', 'old'])] }, '2026-01-01T00:00:00Z')]);
    expect(t.match('a.test', '/x')?.route.backend?.service).to.equal('old');
    expect(t.match('b.test', '/x')).to.equal(undefined);
    expect(new RouteTable([]).match('a.test', '/')).to.equal(undefined);
  });

  it('treats ImplementationSpecific as Prefix and an empty path as /', () => {
    const t = new RouteTable([ing('x', { rules: [{ host: 'a.test', http: { paths: [{ pathType: 'ImplementationSpecific', backend: to('all') }, { path: '/api', pathType: 'ImplementationSpecific', backend: to('api', 'http') }] } }] })]);
    expect(t.match('a.test', '/')?.route.backend).to.deep.equal({ namespace: 'default', service: 'all', port: 80 });
    expect(t.match('a.test', '/api/v1')?.route.backend).to.deep.equal({ namespace: 'default', service: 'api', port: 'http' });
    expect(t.match('a.test', '/apiv1')?.route.backend?.service).to.equal('all');
  });

  it('finds the TLS Secret by SNI: exact host, then its wildcard; hosts default to the rule hosts', () => {
    const t = new RouteTable([
      ing('tls', { rules: [rule('foo.example.com', ['/', 'Prefix', 'a']), rule('plain.test', ['/', 'Prefix', 'b'])], tls: [{ hosts: ['foo.example.com'], secretName: 'foo-cert' }, { hosts: ['*.example.com'], secretName: 'wild-cert' }, { secretName: 'rule-hosts' }] }),
    ]);
    expect(t.tlsFor('foo.example.com')?.secretName).to.equal('foo-cert');
    expect(t.tlsFor('bar.example.com')?.secretName).to.equal('wild-cert');
    expect(t.tlsFor('plain.test')?.secretName).to.equal('rule-hosts');
    expect(t.tlsFor('other.test')).to.equal(undefined);
    expect(t.tlsFor(undefined)).to.equal(undefined);
  });

  it('normalizes hosts and computes wildcards', () => {
    expect(normalizeHost('Foo.Example.com:443')).to.equal('foo.example.com');
    expect(normalizeHost('[::1]:8080')).to.equal('::1');
    expect(normalizeHost('a.test.')).to.equal('a.test');
    expect(wildcardOf('a.example.com')).to.equal('*.example.com');
    expect(wildcardOf('localhost')).to.equal('');
  });

  it('leaves a resource backend unrouted (no Service to send to)', () => {
    const t = new RouteTable([ing('r', { rules: [{ host: 'r.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { resource: { kind: 'Bucket', name: 'b' } } }] } }] })]);
    expect(t.match('r.test', '/')?.route.backend).to.equal(undefined);
  });
});
