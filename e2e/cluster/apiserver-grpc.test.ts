import { expect } from 'chai';
import * as fs from 'node:fs';
import { RESOURCES } from '../../lib/api/resources';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalApiServer } from '../../lib/launcher/apiserver-process';
import { freePort, LocalStoreCluster } from '../../lib/launcher/store-cluster';
import { reflect, reflectionClient } from '../support/grpc-reflection';

/**
 * The apiserver's gRPC surface as grpcurl sees it, on a real `bosun apiserver` process: server
 * reflection lists a service per kind plus discovery and health, and describes their messages
 * (Kubernetes' own, with their field names).
 */
describe('apiserver gRPC surface: reflection (what grpcurl list/describe use)', function () {
  this.timeout(90_000);
  let dir: string;
  let cluster: LocalStoreCluster;
  let apiserver: LocalApiServer;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-api-reflect-'));
    cluster = await LocalStoreCluster.create({ members: 1, dir, insecure: true });
    cluster.startAll();
    await cluster.waitReady();
    apiserver = new LocalApiServer('apiserver-1', await freePort(), path.join(dir, 'apiserver.log'), cluster.endpoints);
    apiserver.start();
    await apiserver.waitReady();
  });

  after(async () => {
    await apiserver?.kill('SIGTERM');
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists a service per kind, discovery and health, and describes Deployments with Kubernetes messages', async () => {
    const client = reflectionClient('v1', apiserver.grpcEndpoint);
    try {
      const list = await reflect(client, { list_services: '' });
      const names: string[] = list.list_services_response.service.map((s: { name: string }) => s.name);
      expect(names).to.include.members([
        'bosun.api.core.v1.Pods',
        'bosun.api.core.v1.Namespaces',
        'bosun.api.core.v1.Services',
        'bosun.api.apps.v1.Deployments',
        'bosun.api.apps.v1.StatefulSets',
        'bosun.api.batch.v1.CronJobs',
        'bosun.api.autoscaling.v2.HorizontalPodAutoscalers',
        'bosun.api.coordination.v1.Leases',
        'bosun.api.rbac.v1.ClusterRoleBindings',
        'bosun.api.scheduling.v1.PriorityClasses',
        'bosun.api.Discovery',
        'bosun.api.streams.v1.PodStreams',
        'grpc.health.v1.Health',
      ]);
      // One service per kind, besides discovery and the pod streams (logs, exec).
      const perKind = names.filter((n) => n.startsWith('bosun.api.') && n !== 'bosun.api.Discovery' && n !== 'bosun.api.streams.v1.PodStreams');
      expect(perKind).to.have.length(Object.keys(RESOURCES).length);
      const file = await reflect(client, { file_containing_symbol: 'bosun.api.apps.v1.Deployments' });
      const text = Buffer.concat(file.file_descriptor_response.file_descriptor_proto as Buffer[]).toString('latin1');
      for (const s of ['GetScale', 'UpdateScale', 'PatchScale', 'DeleteCollection', 'DeploymentWatchEvent', 'k8s.io.api.apps.v1.Deployment', 'revisionHistoryLimit', 'progressDeadlineSeconds']) expect(text).to.contain(s);
    } finally {
      client.close();
    }
  });
});
