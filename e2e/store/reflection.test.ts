import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LEAN_MALLOC_ENV } from '../../lib/lean-memory';
import { LocalStoreCluster } from '../../lib/launcher/store-cluster';
import { clientFor, NODE_MODULES, reflect, reflectionClient } from '../support/grpc-reflection';

describe('store member started by the launcher: gRPC surface (reflection and health, what grpcurl uses) and runtime settings', function () {
  this.timeout(60_000);
  let dir: string;
  let cluster: LocalStoreCluster;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-reflect-'));
    cluster = await LocalStoreCluster.create({ members: 1, dir, insecure: true });
    cluster.startAll();
    await cluster.waitReady();
  });

  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const version of ['v1alpha', 'v1'] as const) {
    it(`lists every service and describes etcdserverpb.KV through reflection ${version}`, async () => {
      const client = reflectionClient(version, cluster.endpoints[0]!);
      try {
        const list = await reflect(client, { list_services: '' });
        const names = list.list_services_response.service.map((s: { name: string }) => s.name);
        expect(names).to.have.members([
          'etcdserverpb.KV',
          'etcdserverpb.Watch',
          'etcdserverpb.Lease',
          'etcdserverpb.Cluster',
          'etcdserverpb.Maintenance',
          'bosun.store.v1.StoreDebug',
          'grpc.health.v1.Health',
        ]);
        const file = await reflect(client, { file_containing_symbol: 'etcdserverpb.KV' });
        const descriptors: Buffer[] = file.file_descriptor_response.file_descriptor_proto;
        expect(descriptors.length).to.be.greaterThan(0);
        expect(Buffer.concat(descriptors).toString('latin1')).to.contain('RangeRequest');
      } finally {
        client.close();
      }
    });
  }

  it('answers grpc.health.v1.Health/Check with SERVING', async () => {
    const client = clientFor('health/v1/health.proto', path.join(NODE_MODULES, 'grpc-health-check', 'proto'), 'grpc.health.v1.Health', cluster.endpoints[0]);
    try {
      const res = await new Promise<{ status: string }>((resolve, reject) => client.Check({ service: '' }, (err: Error | null, r: { status: string }) => (err ? reject(err) : resolve(r))));
      expect(res.status).to.equal('SERVING');
    } finally {
      client.close();
    }
  });

  it('runs with the malloc tunables of lib/lean-memory in its environment', () => {
    const environ = fs.readFileSync(`/proc/${cluster.members[0]!.pid}/environ`, 'latin1').split('\0');
    for (const [name, value] of Object.entries(LEAN_MALLOC_ENV)) expect(environ).to.include(`${name}=${value}`);
  });
});
