import { expect } from 'chai';
import { ApiError } from '../../../lib/api/errors';
import { RESOURCES } from '../../../lib/api/resources';
import type { Pod, ServiceAccount } from '../../../lib/api/types/core';
import { DEFAULT_TOLERATION_SECONDS, DefaultTolerationSeconds, TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from './default-toleration-seconds';
import { ServiceAccountAdmission } from './service-account';
import { SERVICE_ACCOUNT_MOUNT_PATH, tokenVolume } from './service-account-token-volume';

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

  describe('the projected token volume (a cluster with a token signer)', () => {
    const withAccounts = (...more: ServiceAccount[]) => new ServiceAccountAdmission(async (ns, name) => [...accounts, ...more].find((a) => a.metadata.namespace === ns && a.metadata.name === name), true);

    it("adds Kubernetes' kube-api-access volume and a read-only mount in every container and init container", async () => {
      const p = pod({ initContainers: [{ name: 'init', image: 'i' }] });
      await withAccounts().admitCreate(RESOURCES.pods, 'ns', p);
      const volume = p.spec!.volumes![0]!;
      expect(volume.name).to.match(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(volume).to.deep.equal(tokenVolume(volume.name!));
      expect((volume.projected as { sources: unknown[] }).sources).to.deep.equal([
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ]);
      for (const c of [...p.spec!.initContainers!, ...p.spec!.containers!]) {
        expect(c.volumeMounts).to.deep.equal([{ name: volume.name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }]);
      }
    });

    it('adds nothing when the pod or its ServiceAccount opts out, or every container mounts that path already', async () => {
      const optOut = pod({ automountServiceAccountToken: false });
      await withAccounts().admitCreate(RESOURCES.pods, 'ns', optOut);
      expect(optOut.spec!.volumes).to.equal(undefined);
      const quiet: ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'quiet', namespace: 'ns' }, automountServiceAccountToken: false };
      const bySa = pod({ serviceAccountName: 'quiet' });
      await withAccounts(quiet).admitCreate(RESOURCES.pods, 'ns', bySa);
      expect(bySa.spec!.volumes).to.equal(undefined);
      const podWins = pod({ serviceAccountName: 'quiet', automountServiceAccountToken: true });
      await withAccounts(quiet).admitCreate(RESOURCES.pods, 'ns', podWins);
      expect(podWins.spec!.volumes).to.have.length(1);
      const own = pod({ containers: [{ name: 'c', image: 'i', volumeMounts: [{ name: 'mine', mountPath: `${SERVICE_ACCOUNT_MOUNT_PATH}/` }] }], volumes: [{ name: 'mine', emptyDir: {} }] });
      await withAccounts().admitCreate(RESOURCES.pods, 'ns', own);
      expect(own.spec!.volumes!.map((v) => v.name)).to.deep.equal(['mine']);
    });

    it('adds nothing without a signer', async () => {
      const p = pod();
      await plugin.admitCreate(RESOURCES.pods, 'ns', p);
      expect(p.spec!.volumes).to.equal(undefined);
    });
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
