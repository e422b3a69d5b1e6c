import { expect } from 'chai';
import { RESOURCES } from '../api/resources';
import type { Container, Pod, ResourceQuota } from '../api/types/core';
import { addLists, formatList, lessThanOrEqual, maskList, subtractLists } from './resource-list';
import { isIntegerResource, isStandardQuotaResource } from './resource-names';
import { missingPodResources, objectUsage, podUsage, quotaCovers } from './usage';

const NOW = Date.parse('2026-12-07T00:00:00Z');

function pod(containers: Container[], extra: Partial<Pod> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'ns' }, spec: { containers }, ...extra };
}

describe('lib/quota: resource lists, names and usage', () => {
  it('adds, subtracts, masks, compares and prints lists as Kubernetes does', () => {
    expect(addLists({ cpu: '500m', pods: '1' }, { cpu: '1', memory: '1Gi' })).to.deep.equal({ cpu: '1500m', pods: '1', memory: '1Gi' });
    expect(subtractLists({ cpu: '1', pods: '2' }, { cpu: '250m' })).to.deep.equal({ cpu: '750m', pods: '2' });
    expect(maskList({ a: '1', b: '2' }, ['b', 'c'])).to.deep.equal({ b: '2' });
    expect(lessThanOrEqual({ pods: '6', cpu: '1' }, { pods: '5', cpu: '2' })).to.deep.equal({ allowed: false, exceeded: ['pods'] });
    expect(formatList({ pods: '1', 'requests.cpu': '0.5' })).to.equal('pods=1,requests.cpu=500m');
  });

  it('knows the standard and integer quota resources', () => {
    expect(isStandardQuotaResource('requests.cpu')).to.equal(true);
    expect(isStandardQuotaResource('widgets')).to.equal(false);
    expect(isIntegerResource('pods')).to.equal(true);
    expect(isIntegerResource('count/deployments.apps')).to.equal(true);
    expect(isIntegerResource('cpu')).to.equal(false);
  });

  it('a pod costs pods, its requests (defaulted from limits) and limits, init containers counted by their max', () => {
    const p = pod([{ name: 'a', resources: { requests: { cpu: '100m' }, limits: { cpu: '200m', memory: '64Mi' } } }, { name: 'b', resources: { limits: { cpu: '300m' } } }]);
    p.spec!.initContainers = [{ name: 'init', resources: { requests: { cpu: '1' } } }];
    expect(podUsage(p, NOW)).to.deep.equal({
      'count/pods': '1',
      pods: '1',
      cpu: '1',
      'requests.cpu': '1',
      memory: '64Mi',
      'requests.memory': '64Mi',
      'limits.cpu': '500m',
      'limits.memory': '64Mi',
    });
  });

  it('terminal pods and pods past their deletion grace keep only count/pods', () => {
    const done = pod([{ name: 'a' }], { status: { phase: 'Succeeded' } });
    expect(podUsage(done, NOW)).to.deep.equal({ 'count/pods': '1' });
    const stuck = pod([{ name: 'a' }]);
    stuck.metadata.deletionTimestamp = '2026-12-06T23:00:00Z';
    stuck.metadata.deletionGracePeriodSeconds = 30;
    expect(podUsage(stuck, NOW)).to.deep.equal({ 'count/pods': '1' });
  });

  it('Services cost node ports and load balancers; other kinds their counts', () => {
    expect(objectUsage(RESOURCES.services, { metadata: {}, spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] } } as never, NOW)).to.deep.equal({
      'count/services': '1',
      services: '1',
      'services.loadbalancers': '1',
      'services.nodeports': '2',
    });
    expect(objectUsage(RESOURCES.deployments, { metadata: {} }, NOW)).to.deep.equal({ 'count/deployments.apps': '1' });
    expect(objectUsage(RESOURCES.configmaps, { metadata: {} }, NOW)).to.deep.equal({ 'count/configmaps': '1', configmaps: '1' });
  });

  it('scoped quotas cover only the pods in every scope', () => {
    const bestEffort: ResourceQuota = { metadata: { name: 'q' }, spec: { hard: { pods: '1' }, scopes: ['BestEffort'] } };
    const high: ResourceQuota = { metadata: { name: 'q' }, spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } } };
    const plain = pod([{ name: 'a' }]);
    const sized = pod([{ name: 'a', resources: { requests: { cpu: '1' } } }]);
    expect(quotaCovers(bestEffort, RESOURCES.pods, plain)).to.equal(true);
    expect(quotaCovers(bestEffort, RESOURCES.pods, sized)).to.equal(false);
    expect(quotaCovers(bestEffort, RESOURCES.services, { metadata: {} })).to.equal(false);
    expect(quotaCovers(high, RESOURCES.pods, { ...plain, spec: { ...plain.spec, priorityClassName: 'high' } })).to.equal(true);
    expect(quotaCovers(high, RESOURCES.pods, plain)).to.equal(false);
  });

  it('names what containers must specify when a quota limits cpu or memory', () => {
    const p = pod([{ name: 'b', resources: { requests: { cpu: '1' } } }, { name: 'a' }]);
    expect(missingPodResources(p, ['pods', 'limits.cpu', 'requests.cpu'])).to.equal('must specify limits.cpu for: a,b; requests.cpu for: a');
    expect(missingPodResources(p, ['pods'])).to.equal(undefined);
  });
});
