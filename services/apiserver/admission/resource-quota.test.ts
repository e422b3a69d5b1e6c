import { expect } from 'chai';
import type { ApiError } from '../../../lib/api/errors';
import { RESOURCES } from '../../../lib/api/resources';
import type { Pod, ResourceQuota } from '../../../lib/api/types/core';
import { ResourceQuotaAdmission, type QuotaAccess } from './resource-quota';

/** Quotas held in memory, updated in place (the store's compare-and-swap is the API test's business). */
function access(quotas: ResourceQuota[]): QuotaAccess {
  return {
    list: async () => quotas,
    updateStatus: async (_ns, name, mutate) => {
      const i = quotas.findIndex((q) => q.metadata.name === name);
      quotas[i] = mutate(structuredClone(quotas[i]!));
    },
  };
}

function quota(name: string, hard: Record<string, string>, used: Record<string, string> | undefined): ResourceQuota {
  return { metadata: { name, namespace: 'ns' }, spec: { hard }, status: { hard, ...(used ? { used } : {}) } };
}

const pod = (cpu?: string): Pod => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'app', ...(cpu ? { resources: { requests: { cpu }, limits: { cpu } } } : {}) }] } });

async function refusal(fn: () => Promise<void>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect((err as ApiError).code).to.equal(403);
    return (err as ApiError).message;
  }
  throw new Error('expected a refusal');
}

describe('ResourceQuota admission (in-memory quotas)', () => {
  it('charges every covering quota; a dry run charges nothing', async () => {
    const quotas = [quota('a', { pods: '2' }, { pods: '0' }), quota('b', { 'requests.cpu': '1', 'limits.cpu': '1' }, { 'requests.cpu': '0', 'limits.cpu': '0' })];
    const admission = new ResourceQuotaAdmission(access(quotas));
    await admission.admitCreate(RESOURCES.pods, 'ns', pod('300m'), { dryRun: true });
    expect(quotas[0]!.status!.used).to.deep.equal({ pods: '0' });
    await admission.admitCreate(RESOURCES.pods, 'ns', pod('300m'));
    expect(quotas.map((q) => q.status!.used)).to.deep.equal([{ pods: '1' }, { 'requests.cpu': '300m', 'limits.cpu': '300m' }]);
  });

  it('refuses with Kubernetes’ messages and gives back what earlier quotas were charged', async () => {
    const quotas = [quota('a', { pods: '5' }, { pods: '1' }), quota('b', { 'requests.cpu': '1', 'limits.cpu': '1' }, { 'requests.cpu': '900m', 'limits.cpu': '0' })];
    const admission = new ResourceQuotaAdmission(access(quotas));
    expect(await refusal(() => admission.admitCreate(RESOURCES.pods, 'ns', pod('200m')))).to.equal(
      'pods "p" is forbidden: exceeded quota: b, requested: requests.cpu=200m, used: requests.cpu=900m, limited: requests.cpu=1',
    );
    expect(quotas[0]!.status!.used).to.deep.equal({ pods: '1' });
    expect(await refusal(() => admission.admitCreate(RESOURCES.pods, 'ns', pod()))).to.equal('pods "p" is forbidden: failed quota: b: must specify limits.cpu for: app; requests.cpu for: app');
    const fresh = new ResourceQuotaAdmission(access([quota('c', { configmaps: '1' }, undefined)]));
    expect(await refusal(() => fresh.admitCreate(RESOURCES.configmaps, 'ns', { metadata: { name: 'cm' } }))).to.equal(
      'configmaps "cm" is forbidden: status unknown for quota: c, resources: configmaps',
    );
  });
});
