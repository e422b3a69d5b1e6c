import { expect } from 'chai';
import { ForbiddenError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import { podStrategy, type Pod } from '../kinds/core';
import { priorityClassStrategy, type PriorityClass } from '../kinds/scheduling';
import { apiError } from '../registry/test-support';
import { AdmissionChain } from './admission';
import { DEFAULT_POD_PRIORITY, defaultClass, PriorityAdmission, type PriorityClassLookup } from './priority';

const PODS = podStrategy.info;
const CLASSES = priorityClassStrategy.info;

function pc(name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass {
  return { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, preemptionPolicy: 'PreemptLowerPriority', ...extra };
}

function pod(name: string, spec: Pod['spec'] = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec } };
}

/** A lookup over a fixed set of classes; `cachedNames` limits what the "cache" holds. */
function lookup(classes: PriorityClass[], cachedNames?: string[]): PriorityClassLookup & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async get(name) {
      reads.push(name);
      return classes.find((c) => c.metadata.name === name);
    },
    async cached() {
      return classes.filter((c) => !cachedNames || cachedNames.includes(c.metadata.name!));
    },
    async stored() {
      return classes;
    },
  };
}

describe('Priority admission', () => {
  const classes = [pc('high', 1000), pc('batch', 10, { preemptionPolicy: 'Never' }), pc('system-node-critical', 2_000_001_000)];

  describe('pod create', () => {
    it('resolves priorityClassName into priority and preemptionPolicy', async () => {
      const p = pod('a', { priorityClassName: 'batch' });
      await new PriorityAdmission(lookup(classes)).admitCreate(PODS, 'default', p);
      expect(p.spec).to.deep.include({ priorityClassName: 'batch', priority: 10, preemptionPolicy: 'Never' });
    });

    it('gives priority 0 and PreemptLowerPriority when no class is named and none is the default', async () => {
      const p = pod('a');
      await new PriorityAdmission(lookup(classes)).admitCreate(PODS, 'default', p);
      expect(p.spec!.priority).to.equal(DEFAULT_POD_PRIORITY);
      expect(p.spec!.preemptionPolicy).to.equal('PreemptLowerPriority');
      expect(p.spec).not.to.have.property('priorityClassName');
    });

    it('applies the globalDefault class and names it in the pod', async () => {
      const p = pod('a');
      await new PriorityAdmission(lookup([...classes, pc('normal', 100, { globalDefault: true })])).admitCreate(PODS, 'default', p);
      expect(p.spec).to.deep.include({ priorityClassName: 'normal', priority: 100, preemptionPolicy: 'PreemptLowerPriority' });
    });

    it('picks the default with the lowest value when a race left two', async () => {
      const two = [pc('d1', 500, { globalDefault: true }), pc('d2', 50, { globalDefault: true })];
      expect(defaultClass(two)!.metadata.name).to.equal('d2');
      const p = pod('a');
      await new PriorityAdmission(lookup(two)).admitCreate(PODS, 'default', p);
      expect(p.spec!.priority).to.equal(50);
    });

    it('refuses an unknown class with Kubernetes\' message (403)', async () => {
      const err = await apiError(new PriorityAdmission(lookup(classes)).admitCreate(PODS, 'default', pod('x', { priorityClassName: 'nope' })));
      expect(err).to.be.instanceOf(ForbiddenError);
      expect(err.code).to.equal(403);
      expect(err.message).to.equal('pods "x" is forbidden: no PriorityClass with name nope was found');
      expect(err.details).to.deep.equal({ name: 'x', group: '', kind: 'pods' });
    });

    it('names a generateName pod by its prefix in the refusal', async () => {
      const p: Pod = { metadata: { generateName: 'web-' }, spec: { priorityClassName: 'nope' } };
      const err = await apiError(new PriorityAdmission(lookup(classes)).admitCreate(PODS, 'default', p));
      expect(err.message).to.equal('pods "web-" is forbidden: no PriorityClass with name nope was found');
    });

    it('reads a class the cache has not seen yet', async () => {
      const l = lookup(classes, []);
      const p = pod('a', { priorityClassName: 'high' });
      await new PriorityAdmission(l).admitCreate(PODS, 'default', p);
      expect(l.reads).to.deep.equal(['high']);
      expect(p.spec!.priority).to.equal(1000);
    });

    it('accepts a priority equal to the class value, refuses a different one', async () => {
      const plugin = new PriorityAdmission(lookup(classes));
      const same = pod('a', { priorityClassName: 'high', priority: 1000 });
      await plugin.admitCreate(PODS, 'default', same);
      expect(same.spec!.priority).to.equal(1000);
      const err = await apiError(plugin.admitCreate(PODS, 'default', pod('b', { priorityClassName: 'high', priority: 7 })));
      expect(err.code).to.equal(403);
      expect(err.message).to.equal(
        'pods "b" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
      );
      const noClass = await apiError(plugin.admitCreate(PODS, 'default', pod('c', { priority: 5 })));
      expect(noClass.message).to.contain('the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0');
    });

    it('refuses a preemptionPolicy that differs from the class\'s', async () => {
      const err = await apiError(new PriorityAdmission(lookup(classes)).admitCreate(PODS, 'default', pod('a', { priorityClassName: 'batch', preemptionPolicy: 'PreemptLowerPriority' })));
      expect(err.message).to.equal(
        'pods "a" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name',
      );
    });

    it('leaves other kinds alone (pod templates are not admitted)', async () => {
      const deployment = { metadata: { name: 'd' }, spec: { template: { spec: { priorityClassName: 'nope' } } } } as KubeObject;
      await new PriorityAdmission(lookup(classes)).admitCreate({ ...PODS, group: 'apps', resource: 'deployments', kind: 'Deployment' }, 'default', deployment);
      expect(deployment.spec).to.deep.equal({ template: { spec: { priorityClassName: 'nope' } } });
    });
  });

  describe('pod update', () => {
    it('keeps the priority and preemption policy an update leaves out', async () => {
      const old = pod('a', { priorityClassName: 'high', priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });
      const next = pod('a', { priorityClassName: 'high' });
      await new PriorityAdmission(lookup(classes)).admitUpdate(PODS, 'default', next, old);
      expect(next.spec).to.deep.include({ priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });
    });

    it('leaves a changed priority for validation to refuse', async () => {
      const old = pod('a', { priority: 0 });
      const next = pod('a', { priority: 9 });
      await new PriorityAdmission(lookup(classes)).admitUpdate(PODS, 'default', next, old);
      expect(next.spec!.priority).to.equal(9);
    });
  });

  describe('PriorityClass writes', () => {
    const withDefault = [...classes, pc('normal', 100, { globalDefault: true })];

    it('allows one globalDefault class only', async () => {
      const plugin = new PriorityAdmission(lookup(withDefault));
      const err = await apiError(plugin.admitCreate(CLASSES, undefined, pc('other', 5, { globalDefault: true })));
      expect(err.code).to.equal(403);
      expect(err.message).to.equal('priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is already marked as default. Only one default can exist');
      await plugin.admitCreate(CLASSES, undefined, pc('other', 5));
      await new PriorityAdmission(lookup(classes)).admitCreate(CLASSES, undefined, pc('first', 5, { globalDefault: true }));
    });

    it('lets the default stay the default on update, refuses making another one default', async () => {
      const plugin = new PriorityAdmission(lookup(withDefault));
      await plugin.admitUpdate(CLASSES, undefined, pc('normal', 100, { globalDefault: true, description: 'x' }), pc('normal', 100, { globalDefault: true }));
      const err = await apiError(plugin.admitUpdate(CLASSES, undefined, pc('high', 1000, { globalDefault: true }), pc('high', 1000)));
      expect(err.message).to.equal('priorityclasses.scheduling.k8s.io "high" is forbidden: PriorityClass normal is already marked as default. Only one default can exist');
    });

    it('refuses to delete a system class', async () => {
      const plugin = new PriorityAdmission(lookup(classes));
      const err = await apiError(plugin.admitDelete(CLASSES, undefined, { metadata: { name: 'system-node-critical' } }));
      expect(err.message).to.equal('priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted');
      await plugin.admitDelete(CLASSES, undefined, { metadata: { name: 'high' } });
    });
  });

  it('runs in a chain after the plugins before it', async () => {
    const seen: string[] = [];
    const chain = new AdmissionChain([
      { admitCreate: async (_i, _n, obj) => void seen.push(`first:${String((obj as Pod).spec?.priority)}`) },
      new PriorityAdmission(lookup(classes)),
      { admitCreate: async (_i, _n, obj) => void seen.push(`last:${String((obj as Pod).spec?.priority)}`) },
    ]);
    await chain.admitCreate(PODS, 'default', pod('a', { priorityClassName: 'high' }));
    expect(seen).to.deep.equal(['first:undefined', 'last:1000']);
  });
});
