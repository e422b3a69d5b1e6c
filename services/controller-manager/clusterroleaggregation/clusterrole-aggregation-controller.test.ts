import { expect } from 'chai';
import { RESOURCES } from '../../../lib/api/resources';
import { aggregatedRules, settledAggregation } from '../../../lib/api/rbac-aggregation';
import type { ClusterRole } from '../../../lib/api/types/rbac';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { defaultControllerRegistry } from '../controller-manager';
import { CLUSTERROLE_AGGREGATION_CONTROLLER_NAME, clusterRoleAggregationControllerDescriptor } from './clusterrole-aggregation-controller';

const TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';
const TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
const read = (resource: string) => ({ verbs: ['get', 'list'], apiGroups: [''], resources: [resource] });

function role(name: string, labels: Record<string, string>, rules: ClusterRole['rules'], aggregateLabel?: string): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels },
    ...(aggregateLabel ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [aggregateLabel]: 'true' } }] } } : {}),
    rules,
  };
}

describe('ClusterRole aggregation rules', () => {
  it('takes matching roles selector by selector, in byte order of name, each rule once, never the aggregator itself', () => {
    const agg: ClusterRole = { ...role('agg', { a: 'true' }, [read('stale')]), aggregationRule: { clusterRoleSelectors: [{ matchLabels: { b: 'true' } }, { matchLabels: { a: 'true' } }] } };
    const roles = [agg, role('Zed', { a: 'true' }, [read('pods')]), role('alpha', { a: 'true' }, [read('secrets'), read('pods')]), role('beta', { b: 'true' }, [read('nodes'), { ...read('pods'), resourceNames: [] }]), role('other', {}, [read('x')])];
    expect(aggregatedRules(agg, roles)).to.deep.equal([read('nodes'), read('pods'), read('secrets')]);
  });

  it('settles chains (view into edit) in any order', () => {
    const roles = [role('edit', {}, [], TO_EDIT), role('view', { [TO_EDIT]: 'true' }, [], TO_VIEW), role('view-extra', { [TO_VIEW]: 'true' }, [read('widgets')]), role('edit-extra', { [TO_EDIT]: 'true' }, [read('gadgets')])];
    const settled = settledAggregation(roles);
    expect(settled.get('view')).to.deep.equal([read('widgets')]);
    expect(settled.get('edit')).to.deep.equal([read('gadgets'), read('widgets')]);
  });
});

describe('clusterrole-aggregation controller (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;
  const stored = (name: string) => ctx.client.peek('ClusterRole', undefined, name) as ClusterRole | undefined;
  const roles = () => ctx.client.resource<ClusterRole>(RESOURCES.clusterroles);

  beforeEach(async () => {
    ctx = fakeControllerContext();
    ctx.client.seed(role('edit', {}, [], TO_EDIT));
    ctx.client.seed(role('view', { [TO_EDIT]: 'true' }, [read('stale')], TO_VIEW));
    ctx.client.seed(role('system:aggregate-to-view', { [TO_VIEW]: 'true' }, [read('pods')]));
    const running = await new ControllerRegistry([clusterRoleAggregationControllerDescriptor]).start([CLUSTERROLE_AGGREGATION_CONTROLLER_NAME], ctx);
    stop = () => running.stop();
    await ctx.clock.advance(0);
  });
  afterEach(() => stop());

  it('is selected by its name among the default controllers', () => {
    expect(defaultControllerRegistry().select('*')).to.include(CLUSTERROLE_AGGREGATION_CONTROLLER_NAME);
  });

  it('fills aggregated roles through the chain, follows a labelled role coming and going, and writes only on change', async () => {
    expect(stored('view')?.rules).to.deep.equal([read('pods')]);
    expect(stored('edit')?.rules).to.deep.equal([read('pods')]);
    await roles().create(undefined, role('widgets-view', { [TO_VIEW]: 'true' }, [read('widgets')]));
    await ctx.clock.advance(0);
    await ctx.clock.advance(0);
    expect(stored('view')?.rules).to.deep.equal([read('pods'), read('widgets')]);
    expect(stored('edit')?.rules).to.deep.equal([read('pods'), read('widgets')]);
    const version = stored('view')?.metadata.resourceVersion;
    await roles().update(undefined, { ...stored('system:aggregate-to-view')!, metadata: { ...stored('system:aggregate-to-view')!.metadata, annotations: { note: 'touched' } } });
    await ctx.clock.advance(0);
    expect(stored('view')?.metadata.resourceVersion, 'nothing changed: no write').to.equal(version);
    await roles().delete(undefined, 'widgets-view');
    await ctx.clock.advance(0);
    await ctx.clock.advance(0);
    expect(stored('view')?.rules).to.deep.equal([read('pods')]);
    expect(stored('edit')?.rules).to.deep.equal([read('pods')]);
  });

  it('puts back rules written by hand into an aggregated role', async () => {
    await roles().update(undefined, { ...stored('view')!, rules: [read('everything')] });
    await ctx.clock.advance(0);
    expect(stored('view')?.rules).to.deep.equal([read('pods')]);
  });
});
