import { expect } from 'chai';
import type { KubeObject } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { NAMESPACE_RETRY_MAX_MS, namespaceControllerDescriptor, REASON_SOME_FINALIZERS_REMAIN, REASON_SOME_RESOURCES_REMAIN } from './namespace-controller';

/**
 * The namespace controller on the shared machinery, over the in-memory API and a fake clock:
 * built from the registry, driven by the shared informer factory, retried by the runner.
 */
describe('namespace controller (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;

  beforeEach(async () => {
    ctx = fakeControllerContext();
    const running = await new ControllerRegistry([namespaceControllerDescriptor]).start(['namespace'], ctx);
    stop = () => running.stop();
  });
  afterEach(() => stop());

  const seedNamespace = (name: string) => ctx.client.seed({ kind: 'Namespace', metadata: { name }, spec: { finalizers: ['kubernetes'] } });

  it('empties a namespace being deleted, then finalizes it; other namespaces are untouched', async () => {
    seedNamespace('doomed');
    seedNamespace('kept');
    for (const ns of ['doomed', 'kept']) {
      ctx.client.seed({ kind: 'ConfigMap', metadata: { name: 'cfg', namespace: ns } });
      ctx.client.seed({ kind: 'Pod', metadata: { name: 'web', namespace: ns } });
    }
    await ctx.client.resource(RESOURCES.namespaces).delete(undefined, 'doomed');
    await ctx.clock.advance(0);
    expect(ctx.client.peek('Namespace', undefined, 'doomed')).to.equal(undefined);
    expect(ctx.client.peek('ConfigMap', 'doomed', 'cfg')).to.equal(undefined);
    expect(ctx.client.peek('Pod', 'doomed', 'web')).to.equal(undefined);
    expect(ctx.client.peek('ConfigMap', 'kept', 'cfg')).to.not.equal(undefined);
    expect(ctx.client.callsOf('watch namespaces')).to.have.length(1);
  });

  it('retries with backoff while content waits for a finalizer, recording Warning Events, and finishes once it is released', async () => {
    seedNamespace('held');
    ctx.client.seed({ kind: 'ConfigMap', metadata: { name: 'pinned', namespace: 'held', finalizers: ['example.com/hold'] } });
    await ctx.client.resource(RESOURCES.namespaces).delete(undefined, 'held');
    await ctx.clock.advance(NAMESPACE_RETRY_MAX_MS);
    const reasons = ctx.events.map((e) => e.reason);
    expect(reasons.filter((r) => r === REASON_SOME_RESOURCES_REMAIN).length).to.be.at.least(3);
    expect(ctx.events.find((e) => e.reason === REASON_SOME_FINALIZERS_REMAIN)?.message).to.equal('Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    expect(ctx.client.peek('Namespace', undefined, 'held')?.metadata.deletionTimestamp).to.be.a('string');

    await ctx.client.resource(RESOURCES.configmaps).patch('held', 'pinned', 'application/merge-patch+json', JSON.stringify({ metadata: { finalizers: null } }));
    await ctx.clock.advance(NAMESPACE_RETRY_MAX_MS);
    expect(ctx.client.peek('Namespace', undefined, 'held')).to.equal(undefined);
  });

  it('leaves a namespace alone that is not being deleted or no longer holds "kubernetes"', async () => {
    ctx.client.seed({ kind: 'Namespace', metadata: { name: 'other', finalizers: ['example.com/x'] }, spec: { finalizers: [] } } as KubeObject);
    ctx.client.seed({ kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'other' } });
    await ctx.client.resource(RESOURCES.namespaces).delete(undefined, 'other');
    await ctx.clock.advance(NAMESPACE_RETRY_MAX_MS);
    expect(ctx.client.peek('ConfigMap', 'other', 'cfg')).to.not.equal(undefined);
    expect(ctx.client.callsOf('discover')).to.deep.equal([]);
  });
});
