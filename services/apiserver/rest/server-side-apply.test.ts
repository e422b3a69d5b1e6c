import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KubeObject } from '../../../lib/api/object';
import { APPLY_PATCH_TYPE, MERGE_PATCH_TYPE } from '../../../lib/api/patch';
import { TestHttpServer, type KubectlRun } from '../http/test-http-server';
import { apiError } from '../registry/test-support';
import { ResourceSet } from './resource-set';
import type { ResourceRest } from './resource-rest';

function deployment(name: string, replicas: number, image = 'nginx:1.25'): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

function managers(obj: KubeObject): string[] {
  return ((obj.metadata.managedFields ?? []) as { manager: string; operation: string }[]).map((e) => `${e.manager}/${e.operation}`);
}

describe('server-side apply through the registry and kubectl apply --server-side (a 3-member Bosun store)', function () {
  this.timeout(60_000);
  const TOKEN = 'test-token-ssa-0123456789';
  let server: TestHttpServer;
  let resources: ResourceSet;
  let deployments: ResourceRest;
  let dir: string;

  function kubectl(args: string[], input = ''): Promise<KubectlRun> {
    return server.kubectl(args, { input });
  }

  before(async () => {
    server = await TestHttpServer.start('bosun-ssa-', TOKEN);
    ({ dir, resources } = server);
    deployments = resources.byResource('apps', 'deployments')!;
  });

  after(async () => {
    await server?.stop();
  });

  it('an apply to a missing object creates it; the same apply again writes nothing', async () => {
    const body = JSON.stringify(deployment('ssa-one', 2));
    const created = await deployments.patch('default', 'ssa-one', APPLY_PATCH_TYPE, body, { fieldManager: 'kubectl' });
    expect(created.metadata.uid).to.be.a('string');
    expect(managers(created)).to.deep.equal(['kubectl/Apply']);
    const again = await deployments.patch('default', 'ssa-one', APPLY_PATCH_TYPE, body, { fieldManager: 'kubectl' });
    expect(again.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
    // YAML, without the labels this manager applied before: they are removed.
    const yaml = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: ssa-one',
      'spec:',
      '  replicas: 3',
      '  selector: {matchLabels: {app: ssa-one}}',
      '  template:',
      '    metadata: {labels: {app: ssa-one}}',
      '    spec:',
      '      containers:',
      '      - {name: web, image: "nginx:1.25"}',
      '',
    ].join('\n');
    const changed = await deployments.patch('default', 'ssa-one', APPLY_PATCH_TYPE, yaml, { fieldManager: 'kubectl' });
    expect((changed as any).spec.replicas).to.equal(3);
    expect(changed.metadata.labels ?? {}).to.deep.equal({});
    expect(changed.metadata.resourceVersion).to.not.equal(created.metadata.resourceVersion);
    expect(managers(changed)).to.deep.equal(['kubectl/Apply']);
  });

  it('records Update entries for create and patch; an apply of another replicas then conflicts', async () => {
    const created = await deployments.create('default', deployment('ssa-two', 1) as KubeObject, { fieldManager: 'kubectl-client-side-apply' });
    expect(managers(created)).to.deep.equal(['kubectl-client-side-apply/Update']);
    const scaled = await deployments.patch('default', 'ssa-two', MERGE_PATCH_TYPE, '{"spec":{"replicas":4}}', { fieldManager: 'kubectl-scale' });
    expect(managers(scaled)).to.deep.equal(['kubectl-client-side-apply/Update', 'kubectl-scale/Update']);
    const same = await deployments.patch('default', 'ssa-two', MERGE_PATCH_TYPE, '{"spec":{"replicas":4}}', { fieldManager: 'kubectl-scale' });
    expect(same.metadata.resourceVersion).to.equal(scaled.metadata.resourceVersion);

    const err = await apiError(deployments.patch('default', 'ssa-two', APPLY_PATCH_TYPE, JSON.stringify(deployment('ssa-two', 2)), { fieldManager: 'kubectl' }));
    expect(err.code).to.equal(409);
    expect(err.message).to.equal('Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
    expect(err.details?.causes).to.deep.equal([{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-scale" using apps/v1', field: '.spec.replicas' }]);

    const forced = await deployments.patch('default', 'ssa-two', APPLY_PATCH_TYPE, JSON.stringify(deployment('ssa-two', 2)), { fieldManager: 'kubectl', force: true });
    expect((forced as any).spec.replicas).to.equal(2);
    expect(managers(forced)).to.deep.equal(['kubectl-client-side-apply/Update', 'kubectl/Apply']);
  });

  it('an update (PUT) records the fields it changed under its manager', async () => {
    const created = await deployments.create('default', deployment('ssa-three', 1) as KubeObject, { fieldManager: 'a' });
    const edited = { ...created, metadata: { ...created.metadata, labels: { app: 'ssa-three', edited: 'yes' } } };
    const updated = await deployments.update('default', 'ssa-three', edited, { fieldManager: 'kubectl-edit' });
    const entry = (updated.metadata.managedFields as any[]).find((e) => e.manager === 'kubectl-edit');
    expect(entry.fieldsV1).to.deep.equal({ 'f:metadata': { 'f:labels': { 'f:edited': {} } } });
  });

  it('kubectl apply --server-side creates, re-applies, reports a conflict, and takes over with --force-conflicts', async () => {
    const file = path.join(dir, 'web.yaml');
    fs.writeFileSync(file, JSON.stringify(deployment('ssa-web', 2)));
    const first = await kubectl(['apply', '--server-side', '-f', file]);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout.trim()).to.equal('deployment.apps/ssa-web serverside-applied');
    const second = await kubectl(['apply', '--server-side', '-f', file]);
    expect(second.code, second.stderr).to.equal(0);

    fs.writeFileSync(file, JSON.stringify(deployment('ssa-web', 5)));
    const conflict = await kubectl(['apply', '--server-side', '--field-manager=other', '-f', file]);
    expect(conflict.code).to.equal(1);
    expect(conflict.stderr).to.contain('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    expect(conflict.stderr).to.contain('--force-conflicts');

    const forced = await kubectl(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', file]);
    expect(forced.code, forced.stderr).to.equal(0);
    const live = await deployments.get('default', 'ssa-web');
    expect((live as any).spec.replicas).to.equal(5);
  });
});
