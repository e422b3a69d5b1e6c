import { expect } from 'chai';
import type { ApiError } from '../../../lib/api/errors';
import { RESOURCES } from '../../../lib/api/resources';
import type { LimitRange, PersistentVolumeClaim, Pod } from '../../../lib/api/types/core';
import { LimitRanger } from './limit-ranger';

const RANGE: LimitRange = {
  metadata: { name: 'lr', namespace: 'ns' },
  spec: {
    limits: [
      { type: 'Container', max: { cpu: '1' }, min: { cpu: '100m' }, default: { cpu: '500m' }, defaultRequest: { cpu: '250m' }, maxLimitRequestRatio: { cpu: '4' } },
      { type: 'Pod', max: { memory: '1Gi' } },
      { type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } },
    ],
  },
};

async function refusal(fn: () => Promise<void>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect((err as ApiError).code).to.equal(403);
    return (err as ApiError).message;
  }
  throw new Error('expected a refusal');
}

describe('LimitRanger admission', () => {
  const ranger = new LimitRanger(async () => [RANGE]);

  it('fills container defaults, keeping what the container states', async () => {
    const pod: Pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', resources: { limits: { memory: '128Mi' } } }, { name: 'b', resources: { requests: { cpu: '300m' } } }] } };
    await ranger.admitCreate(RESOURCES.pods, 'ns', pod);
    expect(pod.spec!.containers![0]!.resources).to.deep.equal({ limits: { memory: '128Mi', cpu: '500m' }, requests: { cpu: '250m' } });
    expect(pod.spec!.containers![1]!.resources).to.deep.equal({ limits: { cpu: '500m' }, requests: { cpu: '300m' } });
  });

  it('refuses out-of-range containers, pods and claims with Kubernetes’ messages', async () => {
    const big: Pod = { metadata: { name: 'big' }, spec: { containers: [{ name: 'a', resources: { limits: { cpu: '2', memory: '2Gi' }, requests: { cpu: '200m' } } }] } };
    expect(await refusal(() => ranger.admitCreate(RESOURCES.pods, 'ns', big))).to.equal(
      'pods "big" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, cpu max limit to request ratio per Container is 4, but provided ratio is 10.000000, maximum memory usage per Pod is 1Gi, but limit is 2Gi]',
    );
    const small: PersistentVolumeClaim = { metadata: { name: 'c' }, spec: { resources: { requests: { storage: '500Mi' } } } };
    expect(await refusal(() => ranger.admitCreate(RESOURCES.persistentvolumeclaims, 'ns', small))).to.equal(
      'persistentvolumeclaims "c" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi',
    );
  });
});
