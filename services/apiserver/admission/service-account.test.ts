import { expect } from 'chai';
import { ApiError } from '../../../lib/api/errors';
import { RESOURCES } from '../../../lib/api/resources';
import type { Pod, ServiceAccount } from '../../../lib/api/types/core';
import { DEFAULT_TOLERATION_SECONDS, DefaultTolerationSeconds, TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from './default-toleration-seconds';
import { ServiceAccountAdmission } from './service-account';

const pod = (spec: Pod['spec'] = {}): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } });

describe('ServiceAccount admission', () => {
  const accounts: ServiceAccount[] = [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'ns' } }];
  const plugin = new ServiceAccountAdmission(async (ns, name) => accounts.find((a) => a.metadata.namespace === ns && a.metadata.name === name));

  it('defaults spec.serviceAccountName (and its deprecated mirror) to default', async () => {
    const p = pod();
    await plugin.admitCreate(RESOURCES.pods, 'ns', p);
    expect(p.spec?.serviceAccountName).to.equal('default');
    expect(p.spec?.serviceAccount).to.equal('default');
  });

  it('keeps an existing account, taking it from the deprecated field too', async () => {
    const p = pod({ serviceAccount: 'builder' });
    await plugin.admitCreate(RESOURCES.pods, 'ns', p);
    expect(p.spec?.serviceAccountName).to.equal('builder');
  });

  it("refuses a pod naming an account that does not exist, with Kubernetes' message", async () => {
    const err = await plugin.admitCreate(RESOURCES.pods, 'ns', pod({ serviceAccountName: 'ghost' })).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).code).to.equal(403);
    expect((err as ApiError).message).to.equal('pods "p" is forbidden: error looking up service account ns/ghost: serviceaccount "ghost" not found');
  });

  it('ignores other resources', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    await plugin.admitCreate(RESOURCES.configmaps, 'ns', cm);
    expect(cm).to.deep.equal({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
  });
});

describe('DefaultTolerationSeconds admission', () => {
  const plugin = new DefaultTolerationSeconds();

  it('adds 300 s NoExecute tolerations of not-ready and unreachable', async () => {
    const p = pod();
    await plugin.admitCreate(RESOURCES.pods, 'ns', p);
    expect(p.spec?.tolerations).to.deep.equal([
      { key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS },
      { key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS },
    ]);
  });

  it('keeps what the pod says about those taints, and a tolerate-everything toleration covers both', async () => {
    const own = pod({ tolerations: [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] });
    await plugin.admitCreate(RESOURCES.pods, 'ns', own);
    expect(own.spec?.tolerations?.map((t) => [t.key, t.tolerationSeconds])).to.deep.equal([
      [TAINT_NODE_UNREACHABLE, 5],
      [TAINT_NODE_NOT_READY, DEFAULT_TOLERATION_SECONDS],
    ]);
    const all = pod({ tolerations: [{ operator: 'Exists' }] });
    await plugin.admitCreate(RESOURCES.pods, 'ns', all);
    expect(all.spec?.tolerations).to.deep.equal([{ operator: 'Exists' }]);
  });
});
