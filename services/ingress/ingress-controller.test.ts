import { expect } from 'chai';
import { RESOURCES } from '../../lib/api/resources';
import type { Ingress, IngressClass } from '../../lib/api/types/networking';
import { fakeControllerContext, type FakeControllerContext } from '../../lib/controller/testing';
import { DEFAULT_INGRESS_CLASS_NAME, INGRESS_CONTROLLER_NAME, IngressController } from './ingress-controller';
import { NO_INGRESS_METRICS } from './ingress-metrics';
import { selfSignedCertificate } from './tls-certificates';

const ingress = (name: string, spec: Ingress['spec'], annotations?: Record<string, string>): Ingress => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) }, spec,
});
const to = (service: string, port = 80) => ({ service: { name: service, port: { number: port } } });
const cert = selfSignedCertificate('a.test', ['a.test']);

describe('IngressController (fake API): class, served Ingresses, problems as Events, status', () => {
  let ctx: FakeControllerContext;
  let controller: IngressController;
  /** Lets informer deliveries, the coalesced rebuild and the status queue run. */
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await ctx.clock.advance(0);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const reasons = (name: string) => ctx.events.filter((e) => (e.subject as Ingress).metadata?.name === name).map((e) => e.reason);

  beforeEach(async () => {
    ctx = fakeControllerContext();
    ctx.client.seed({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.43.0.5', ports: [{ port: 80, protocol: 'TCP' }] } });
    ctx.client.seed({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } } as IngressClass);
    ctx.client.seed({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'a-tls', namespace: 'default' }, data: { 'tls.crt': Buffer.from(cert.cert).toString('base64'), 'tls.key': Buffer.from(cert.key).toString('base64') } });
    ctx.client.seed(ingress('mine', { ingressClassName: 'bosun', rules: [{ host: 'a.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: to('web') }] } }], tls: [{ hosts: ['a.test'], secretName: 'a-tls' }] }));
    ctx.client.seed(ingress('classless', { defaultBackend: to('web') }));
    ctx.client.seed(ingress('theirs', { ingressClassName: 'nginx', defaultBackend: to('web') }));
    ctx.client.seed(ingress('broken', { ingressClassName: 'bosun', rules: [{ host: 'b.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: to('nope') }] } }], tls: [{ hosts: ['b.test'], secretName: 'missing' }] }));
    controller = new IngressController({ client: ctx.client, informers: ctx.informers, recorder: ctx.recorder('ingress'), logger: ctx.logger, metrics: NO_INGRESS_METRICS, clock: ctx.clock, publishAddress: '127.0.0.1' });
    await controller.start();
    await settle();
  });
  afterEach(async () => {
    await controller.stop();
    ctx.informers.stop();
  });

  it('creates the default IngressClass bosun of bosun.dev/ingress-controller', () => {
    const cls = ctx.client.peek<IngressClass>('IngressClass', undefined, DEFAULT_INGRESS_CLASS_NAME)!;
    expect(cls.spec?.controller).to.equal(INGRESS_CONTROLLER_NAME);
    expect(cls.metadata.annotations).to.deep.equal({ 'ingressclass.kubernetes.io/is-default-class': 'true' });
  });

  it('serves Ingresses of its class and class-less ones (its class is the default), not others', () => {
    expect(controller.status().ingresses).to.deep.equal(['default/broken', 'default/classless', 'default/mine']);
    expect(controller.routes().match('a.test', '/x')?.route.ingress).to.equal('default/mine');
    expect(controller.routes().match('other.test', '/')?.route.ingress).to.equal('default/classless');
  });

  it('reports a missing Service and a missing Secret as Warning Events, once, and keeps the rest working', async () => {
    expect(reasons('broken')).to.deep.equal(['ServiceNotFound', 'SecretNotFound']);
    expect(reasons('mine')).to.deep.equal([]);
    expect(controller.certificateFor('a.test')).to.not.equal(undefined);
    expect(controller.certificateFor('b.test')).to.equal(undefined);
    const mine = ctx.client.peek<Ingress>('Ingress', 'default', 'mine')!;
    await ctx.client.resource<Ingress>(RESOURCES.ingresses).update('default', { ...mine, metadata: { ...mine.metadata, labels: { touched: 'yes' } } });
    await settle();
    expect(reasons('broken')).to.deep.equal(['ServiceNotFound', 'SecretNotFound']); // not again for the same problems
  });

  it('writes status.loadBalancer.ingress = [{ip: publish address}] to its Ingresses only', () => {
    const lb = (name: string) => ctx.client.peek<Ingress>('Ingress', 'default', name)?.status?.loadBalancer?.ingress;
    expect(lb('mine')).to.deep.equal([{ ip: '127.0.0.1' }]);
    expect(lb('classless')).to.deep.equal([{ ip: '127.0.0.1' }]);
    expect(lb('theirs')).to.equal(undefined);
  });

  it('drops an Ingress moved to another class from the table', async () => {
    const mine = ctx.client.peek<Ingress>('Ingress', 'default', 'mine')!;
    await ctx.client.resource<Ingress>(RESOURCES.ingresses).update('default', { ...mine, spec: { ...mine.spec, ingressClassName: 'nginx' } });
    await settle();
    expect(controller.status().ingresses).to.deep.equal(['default/broken', 'default/classless']);
    expect(controller.routes().match('a.test', '/')?.route.ingress).to.equal('default/classless');
  });
});
