import { expect } from 'chai';
import { RESOURCES } from '../../../lib/api/resources';
import type { ConfigMap } from '../../../lib/api/types';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { ROOT_CA_CERT_PUBLISHER_NAME, rootCaCertPublisherDescriptor } from './root-ca-cert-publisher';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('root-ca-cert-publisher (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;

  async function start(rootCa: string | undefined): Promise<void> {
    ctx = fakeControllerContext();
    ctx.client.seed({ kind: 'Namespace', metadata: { name: 'default' } });
    ctx.client.seed({ kind: 'Namespace', metadata: { name: 'going', deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Terminating' } });
    const running = await new ControllerRegistry([rootCaCertPublisherDescriptor(rootCa)]).start([ROOT_CA_CERT_PUBLISHER_NAME], ctx);
    stop = () => running.stop();
  }
  afterEach(() => stop());

  const published = (ns: string) => ctx.client.peek('ConfigMap', ns, 'kube-root-ca.crt') as ConfigMap | undefined;

  it('publishes the CA in every active namespace, old and new, and not in terminating ones', async () => {
    await start(CA);
    await ctx.clock.advance(0);
    expect(published('default')?.data).to.deep.equal({ 'ca.crt': CA });
    expect(published('going')).to.equal(undefined);
    await ctx.client.resource(RESOURCES.namespaces).create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await ctx.clock.advance(0);
    expect(published('team')?.data).to.deep.equal({ 'ca.crt': CA });
  });

  it('puts the CA back when the ConfigMap is edited or deleted', async () => {
    await start(CA);
    await ctx.clock.advance(0);
    await ctx.client.resource<ConfigMap>(RESOURCES.configmaps).update('default', { ...published('default')!, data: { 'ca.crt': 'evil' } });
    await ctx.clock.advance(0);
    expect(published('default')?.data).to.deep.equal({ 'ca.crt': CA });
    await ctx.client.resource(RESOURCES.configmaps).delete('default', 'kube-root-ca.crt');
    await ctx.clock.advance(0);
    expect(published('default')?.data).to.deep.equal({ 'ca.crt': CA });
  });

  it('publishes nothing without a CA', async () => {
    await start(undefined);
    await ctx.clock.advance(0);
    expect(published('default')).to.equal(undefined);
  });
});
