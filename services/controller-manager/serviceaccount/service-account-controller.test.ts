import { expect } from 'chai';
import { RESOURCES } from '../../../lib/api/resources';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { SERVICE_ACCOUNT_CONTROLLER_NAME, serviceAccountControllerDescriptor } from './service-account-controller';

describe('serviceaccount controller (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;

  beforeEach(async () => {
    ctx = fakeControllerContext();
    ctx.client.seed({ kind: 'Namespace', metadata: { name: 'default' } });
    ctx.client.seed({ kind: 'Namespace', metadata: { name: 'going', deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Terminating' } });
    const running = await new ControllerRegistry([serviceAccountControllerDescriptor]).start([SERVICE_ACCOUNT_CONTROLLER_NAME], ctx);
    stop = () => running.stop();
  });
  afterEach(() => stop());

  it('gives every active namespace, old and new, a default ServiceAccount', async () => {
    await ctx.clock.advance(0);
    expect(ctx.client.peek('ServiceAccount', 'default', 'default')).to.not.equal(undefined);
    await ctx.client.resource(RESOURCES.namespaces).create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await ctx.clock.advance(0);
    expect(ctx.client.peek('ServiceAccount', 'team', 'default')).to.not.equal(undefined);
  });

  it('leaves terminating namespaces alone', async () => {
    await ctx.clock.advance(0);
    expect(ctx.client.peek('ServiceAccount', 'going', 'default')).to.equal(undefined);
  });

  it('makes default again when it is deleted, and keeps an existing one as it is', async () => {
    await ctx.clock.advance(0);
    const first = ctx.client.peek('ServiceAccount', 'default', 'default')!;
    await ctx.client.resource(RESOURCES.serviceaccounts).delete('default', 'default');
    await ctx.clock.advance(0);
    const again = ctx.client.peek('ServiceAccount', 'default', 'default');
    expect(again?.metadata.uid).to.be.a('string').and.not.equal(first.metadata.uid);
    await ctx.client.resource(RESOURCES.namespaces).update(undefined, { ...ctx.client.peek('Namespace', undefined, 'default')!, metadata: { ...ctx.client.peek('Namespace', undefined, 'default')!.metadata, labels: { a: 'b' } } });
    await ctx.clock.advance(0);
    expect(ctx.client.peek('ServiceAccount', 'default', 'default')?.metadata.uid).to.equal(again!.metadata.uid);
  });
});
