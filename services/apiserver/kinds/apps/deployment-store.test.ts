import { expect } from 'chai';
import { InvalidError } from '../../../../lib/api/errors';
import { StoreClient } from '../../../../store/client';
import { GenericStore } from '../../registry/generic-store';
import { BACKENDS, type RunningBackend } from '../../registry/test-support';
import { deploymentStrategy, type Deployment } from './deployment';

function manifest(): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns-deploy', labels: { app: 'web' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
    },
  };
}

for (const backend of BACKENDS) {
  describe(`Deployment through GenericStore on ${backend.name}`, function () {
    this.timeout(120_000);
    let running: RunningBackend;
    let client: StoreClient;
    let store: GenericStore<Deployment>;

    before(async () => {
      running = await backend.start();
      client = new StoreClient({ endpoints: running.endpoints });
      store = new GenericStore({ client, strategy: deploymentStrategy });
    });
    after(async () => {
      client?.close();
      await running?.stop();
    });

    it('defaults on create, bumps generation on spec changes only, and splits spec from status', async () => {
      const created = await store.create(manifest());
      expect(created.metadata.generation).to.equal(1);
      expect(created.spec!.replicas).to.equal(1);
      expect(created.spec!.strategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
      expect(created.status).to.deep.equal({});
      expect(await store.get('ns-deploy', 'web')).to.deep.equal(created);

      // A metadata-only change keeps the generation.
      const relabeled = await store.update({ ...created, metadata: { ...created.metadata, labels: { app: 'web', team: 'a' } } });
      expect(relabeled.metadata.generation).to.equal(1);
      expect(Number(relabeled.metadata.resourceVersion)).to.be.greaterThan(Number(created.metadata.resourceVersion));

      // A spec change bumps it; status sent on the main resource is ignored.
      const scaled = await store.update({ ...relabeled, spec: { ...relabeled.spec!, replicas: 3 }, status: { replicas: 99 } });
      expect(scaled.metadata.generation).to.equal(2);
      expect(scaled.spec!.replicas).to.equal(3);
      expect(scaled.status).to.deep.equal({});

      // The status subresource changes only status: spec edits sent with it are dropped, generation stays.
      const withStatus = await store.update(
        { ...scaled, spec: { ...scaled.spec!, replicas: 7 }, status: { observedGeneration: 2, replicas: 3, readyReplicas: 3 } },
        { subresource: 'status' },
      );
      expect(withStatus.metadata.generation).to.equal(2);
      expect(withStatus.spec!.replicas).to.equal(3);
      expect(withStatus.status).to.deep.equal({ observedGeneration: 2, replicas: 3, readyReplicas: 3 });

      // Unchanged spec on the main resource: no bump, status kept.
      const again = await store.update({ ...withStatus, metadata: { ...withStatus.metadata, annotations: { note: 'x' } } });
      expect(again.metadata.generation).to.equal(2);
      expect(again.status).to.deep.equal(withStatus.status);
    });

    it('refuses invalid Deployments and selector changes with 422 Invalid', async () => {
      const bad = manifest();
      bad.metadata.name = 'bad';
      bad.spec!.replicas = -1;
      let err: unknown;
      try {
        await store.create(bad);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(InvalidError);
      expect((err as InvalidError).message).to.equal('Deployment "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');

      const created = await store.create({ ...manifest(), metadata: { name: 'fixed', namespace: 'ns-deploy' } });
      const moved: Deployment = JSON.parse(JSON.stringify(created));
      moved.spec!.selector = { matchLabels: { app: 'other' } };
      moved.spec!.template!.metadata!.labels = { app: 'other' };
      err = undefined;
      try {
        await store.update(moved);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(InvalidError);
      expect((err as InvalidError).code).to.equal(422);
      expect((err as InvalidError).fieldErrors.map((e) => `${e.field}: ${e.message}`)).to.deep.equal([
        'spec.selector: Invalid value: {"matchLabels":{"app":"other"}}: field is immutable',
      ]);
    });
  });
}
