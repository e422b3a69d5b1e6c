import { expect } from 'chai';
import { ApiError } from '../../lib/api/errors';
import type { KubeObject } from '../../lib/api/object';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { createLogger } from '../../lib/logger';
import { ApiServer } from './apiserver';
import { deploymentStrategy } from './kinds/apps';
import { configMapStrategy, endpointsStrategy, namespaceStrategy, podStrategy } from './kinds/core';
import { apiError, BACKENDS, type RunningBackend } from './registry/test-support';


const causes = (err: ApiError) => (err.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);

/**
 * Bad input through the gRPC API (the registry behind both front doors): every case is a
 * clear 4xx naming the field or value, and the server keeps serving with nothing changed.
 */
describe('bad input to the apiserver (gRPC) on a 3-member Bosun store', function () {
  this.timeout(60_000);
  let store: RunningBackend;
  let server: ApiServer;
  let api: GrpcApiClient;

  before(async () => {
    store = await BACKENDS[0]!.start();
    server = await ApiServer.start({ storeEndpoints: store.endpoints, grpcListen: '127.0.0.1:0' }, createLogger('apiserver', 'warn'));
    api = new GrpcApiClient({ endpoints: [server.grpcAddress] });
    await api.resource(namespaceStrategy.info).create(undefined, { metadata: { name: 'bad' } });
  });

  after(async () => {
    api?.close();
    await server?.stop();
    await store?.stop();
  });

  it('invalid names and labels: 422 with every field', async () => {
    const err = await apiError(
      api.resource(configMapStrategy.info).create('bad', { metadata: { name: '-Nope-', labels: { 'bad key!': 'v', ok: 'x'.repeat(64) } } }),
    );
    expect(err.code).to.equal(422);
    const fields = (err.details?.causes ?? []).map((c) => c.field);
    expect(fields).to.include('metadata.name');
    expect(fields.filter((f) => f.startsWith('metadata.labels'))).to.have.length(2);
    expect(err.message).to.match(/^ConfigMap "-Nope-" is invalid: \[/);
  });

  it('bad selectors: 400 naming the selector', async () => {
    const pods = api.resource(podStrategy.info);
    const label = await apiError(pods.list('bad', { labelSelector: 'app in (' }));
    expect([label.code, label.reason]).to.deep.equal([400, 'BadRequest']);
    expect(label.message).to.match(/unable to parse requirement/);
    const field = await apiError(pods.list('bad', { fieldSelector: 'spec.color=blue' }));
    expect(field.code).to.equal(400);
    expect(field.message).to.match(/"spec\.color" is not a known field selector/);
    const version = await apiError(pods.list('bad', { resourceVersion: 'abc', resourceVersionMatch: 'Exact' }));
    expect(version.code).to.equal(400);
    expect(version.message).to.include('invalid resource version: "abc"');
  });

  it('changes to immutable fields: 422 "field is immutable"', async () => {
    const deploys = api.resource(deploymentStrategy.info);
    const labels = { app: 'web' };
    const d = await deploys.create('bad', {
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    });
    const changed = structuredClone(d) as KubeObject & { spec: { selector: unknown; template: { metadata: { labels: Record<string, string> } } } };
    changed.spec.selector = { matchLabels: { app: 'other' } };
    changed.spec.template.metadata.labels = { app: 'other' };
    const err = await apiError(deploys.update('bad', changed));
    expect(err.code).to.equal(422);
    expect(causes(err).join('\n')).to.match(/spec\.selector: Invalid value: .*field is immutable/);
    expect((await deploys.get('bad', 'web')).metadata.resourceVersion).to.equal(d.metadata.resourceVersion);
  });

  it('oversized objects: 422 for data and annotations over Kubernetes limits, 413 beyond what the store takes', async () => {
    const cms = api.resource(configMapStrategy.info);
    const big = await apiError(cms.create('bad', { metadata: { name: 'big' }, data: { blob: 'x'.repeat(1024 * 1024 + 1) } } as KubeObject));
    expect(big.code).to.equal(422);
    expect(causes(big).join()).to.match(/Too long: must have at most 1048576 bytes/);
    const notes = await apiError(cms.create('bad', { metadata: { name: 'notes', annotations: { a: 'x'.repeat(300 * 1024) } } }));
    expect(notes.code).to.equal(422);
    expect(causes(notes).join()).to.match(/metadata\.annotations: Too long: must have at most 262144 bytes/);
    // Endpoints have no size rule of their own: 20,000 addresses are bigger than one store request may be.
    const addresses = Array.from({ length: 20_000 }, (_, i) => ({ ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, hostname: `host-${i}-${'h'.repeat(40)}` }));
    const huge = await apiError(api.resource(endpointsStrategy.info).create('bad', { metadata: { name: 'huge' }, subsets: [{ addresses, ports: [{ port: 80 }] }] } as KubeObject));
    expect([huge.code, huge.reason]).to.deep.equal([413, 'RequestEntityTooLarge']);
    expect(huge.message).to.match(/request is too large/);
  });

  it('unknown fields are refused by the client before they could be lost on the wire', async () => {
    const err = await apiError(api.resource(configMapStrategy.info).create('bad', { metadata: { name: 'x' }, dta: { a: '1' }, spec: { nope: 1 } } as KubeObject));
    expect(err.code).to.equal(400);
    expect(err.message).to.equal('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dta", unknown field "spec"');
  });

  it('wrong types in known fields: 400 naming the field', async () => {
    const err = await apiError(api.resource(podStrategy.info).create('bad', { metadata: { name: 'p' }, spec: { containers: 'nginx' } } as KubeObject));
    expect(err.code).to.equal(400);
    expect(err.message).to.include('spec.containers');
  });

  it('names that cannot address an object: 400', async () => {
    const err = await apiError(api.resource(configMapStrategy.info).get('bad', '../etc'));
    expect(err.code).to.equal(400);
    const missingNs = await apiError(api.resource(configMapStrategy.info).get(undefined, 'x'));
    expect(missingNs.code).to.equal(400);
    expect(missingNs.message).to.include('namespace');
  });

  it('still serves after all of it', async () => {
    const list = await api.resource(configMapStrategy.info).list('bad');
    expect(list.items).to.deep.equal([]);
  });
});
