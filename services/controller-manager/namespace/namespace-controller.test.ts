import { expect } from 'chai';
import type { KubeObject } from '../../../lib/api/object';
import { isNotFound } from '../../../lib/api/status';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { createLogger } from '../../../lib/logger';
import { ApiServer } from '../../apiserver/apiserver';
import { deploymentStrategy } from '../../apiserver/kinds/apps';
import { configMapStrategy, namespaceStrategy, podStrategy } from '../../apiserver/kinds/core';
import { BACKENDS, eventually, type RunningBackend } from '../../apiserver/registry/test-support';
import { NamespaceController, type Namespace } from './namespace-controller';

const NAMESPACES = namespaceStrategy.info;
const PODS = podStrategy.info;
const CONFIGMAPS = configMapStrategy.info;
const DEPLOYMENTS = deploymentStrategy.info;

async function gone(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

const backend = BACKENDS[0]!;

describe(`namespace controller (apiserver on ${backend.name})`, function () {
  this.timeout(60_000);
  let store: RunningBackend;
  let server: ApiServer;
  let api: GrpcApiClient;
  let controller: NamespaceController;

  before(async () => {
    store = await backend.start();
    const logger = createLogger('apiserver', 'warn');
    server = await ApiServer.start({ storeEndpoints: store.endpoints, grpcListen: '127.0.0.1:0' }, logger);
    api = new GrpcApiClient({ endpoints: [server.grpcAddress] });
    controller = new NamespaceController({ client: api, logger: createLogger('controller-manager', 'warn') });
    await controller.run();
  });

  after(async () => {
    await controller?.stop();
    api?.close();
    await server?.stop();
    await store?.stop();
  });

  it('deletes everything in a deleted namespace, then the namespace', async () => {
    const ns = 'doomed';
    await api.resource(NAMESPACES).create(undefined, { metadata: { name: ns } });
    await api.resource(CONFIGMAPS).create(ns, { metadata: { name: 'cfg' }, data: { a: 'b' } } as KubeObject);
    await api.resource(PODS).create(ns, { metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } } as KubeObject);
    await api.resource(PODS).bind(ns, 'web', { metadata: { name: 'web' }, target: { kind: 'Node', name: 'node-1' } } as unknown as KubeObject);
    await api.resource(DEPLOYMENTS).create(ns, {
      metadata: { name: 'app' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'x' } },
        template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } },
      },
    } as KubeObject);

    const outcome = await api.resource(NAMESPACES).delete(undefined, ns);
    expect(outcome.deleted).to.equal(false); // Terminating until the controller is done

    await eventually('the namespace to be gone', () => gone(() => api.resource(NAMESPACES).get(undefined, ns)));
    for (const info of [CONFIGMAPS, PODS, DEPLOYMENTS]) {
      expect((await api.resource(info).list(ns)).items, info.resource).to.have.length(0);
    }
  });

  it('removes only the "kubernetes" finalizer: other spec finalizers keep the namespace Terminating', async () => {
    const ns = 'held';
    await api.resource(NAMESPACES).create(undefined, { metadata: { name: ns }, spec: { finalizers: ['example.com/hold'] } } as KubeObject);
    await api.resource(CONFIGMAPS).create(ns, { metadata: { name: 'cfg' } } as KubeObject);
    await api.resource(NAMESPACES).delete(undefined, ns);
    await eventually('"kubernetes" to be removed', async () => {
      const obj = (await api.resource<Namespace>(NAMESPACES).get(undefined, ns)) as Namespace;
      return !(obj.spec?.finalizers ?? []).includes('kubernetes');
    });
    const obj = (await api.resource<Namespace>(NAMESPACES).get(undefined, ns)) as Namespace;
    expect(obj.spec?.finalizers).to.deep.equal(['example.com/hold']);
    expect((obj.status as { phase?: string }).phase).to.equal('Terminating');
    expect((await api.resource(CONFIGMAPS).list(ns)).items).to.have.length(0);

    // Removing the last one through finalize completes the deletion.
    await api.resource<Namespace>(NAMESPACES).finalize(ns, { ...obj, spec: { finalizers: [] } });
    await eventually('the namespace to be gone', () => gone(() => api.resource(NAMESPACES).get(undefined, ns)));
  });

  it('namespaces/finalize changes spec.finalizers only', async () => {
    const ns = 'finalize-rules';
    const namespaces = api.resource<Namespace>(NAMESPACES);
    await namespaces.create(undefined, { metadata: { name: ns } });
    const current = await namespaces.get(undefined, ns);

    let err: unknown;
    try {
      await namespaces.finalize(ns, { ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, extra: 'yes' } } });
    } catch (e) {
      err = e;
    }
    expect((err as { code?: number })?.code).to.equal(422);
    expect(String((err as Error).message)).to.contain('metadata.labels');

    const updated = await namespaces.finalize(ns, { ...current, spec: { finalizers: ['kubernetes', 'example.com/other'] } });
    expect(updated.spec?.finalizers).to.deep.equal(['kubernetes', 'example.com/other']);
    expect((updated.status as { phase?: string }).phase).to.equal('Active');

    // A plain update still cannot touch spec.finalizers.
    const plain = await namespaces.update(undefined, { ...updated, spec: { finalizers: [] } });
    expect(plain.spec?.finalizers).to.deep.equal(['kubernetes', 'example.com/other']);
  });
});
