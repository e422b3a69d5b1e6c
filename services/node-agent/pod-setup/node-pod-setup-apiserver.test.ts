import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { RESOURCES } from '../../../lib/api/resources';
import type { ConfigMap, Pod, Secret, Service } from '../../../lib/api/types';
import { TwoDoorApiServer } from '../../apiserver/test-api-server';
import { NodePodSetup } from './node-pod-setup';
import { ContainerConfigError } from './pod-setup';
import { FACTS, NODE_ALLOCATABLE } from './test-fixtures';

/** NodePodSetup reading through a real apiserver (gRPC door): real NotFound errors, real Service IPs, real updates. */
describe('pod setup against a real apiserver', function () {
  this.timeout(90_000);
  let t: TwoDoorApiServer;
  let root: string;
  let setup: NodePodSetup;

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-pod-setup-');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-pod-setup-real-'));
    setup = new NodePodSetup({ client: t.grpc, rootDir: root, nodeName: 'node-1', nodeAllocatable: () => NODE_ALLOCATABLE, logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    await t?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('resolves env from a ConfigMap, a Secret and a Service, and words a missing ConfigMap as Kubernetes does', async () => {
    await t.grpc.resource<ConfigMap>(RESOURCES.configmaps).create('default', { metadata: { name: 'app' }, data: { mode: 'prod', 'app.conf': 'x=1' } } as ConfigMap);
    await t.grpc.resource<Secret>(RESOURCES.secrets).create('default', { metadata: { name: 'creds' }, stringData: { password: 'hunter2' } } as Secret);
    const svc = await t.grpc.resource<Service>(RESOURCES.services).create('default', { metadata: { name: 'db' }, spec: { selector: { app: 'db' }, clusterIP: '10.43.200.20', ports: [{ port: 5432 }] } } as Service);
    const ip = svc.spec?.clusterIP ?? '';
    expect(ip).to.equal('10.43.200.20');
    const container = {
      name: 'app',
      image: 'busybox:1.36',
      env: [
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app', key: 'mode' } } },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'DB', value: '$(DB_SERVICE_HOST):$(DB_SERVICE_PORT)' },
      ],
      volumeMounts: [{ name: 'conf', mountPath: '/etc/app' }],
    };
    const pod = (await t.grpc.resource<Pod>(RESOURCES.pods).create('default', { metadata: { name: 'web' }, spec: { containers: [container], volumes: [{ name: 'conf', configMap: { name: 'app' } }] } } as Pod));
    await setup.setUpVolumes(pod);
    const cfg = await setup.containerConfig(pod, pod.spec!.containers![0]!, FACTS);
    const env = Object.fromEntries(cfg.envs.map((e) => [e.key, e.value]));
    expect(env).to.include({ MODE: 'prod', PASSWORD: 'hunter2', DB: `${ip}:5432`, DB_SERVICE_HOST: ip });
    const conf = cfg.mounts.find((m) => m.containerPath === '/etc/app')!;
    expect(fs.readFileSync(path.join(conf.hostPath, 'app.conf'), 'utf8')).to.equal('x=1');

    // The ConfigMap changes: the next sync brings the volume up to date.
    const cm = await t.grpc.resource<ConfigMap>(RESOURCES.configmaps).get('default', 'app');
    await t.grpc.resource<ConfigMap>(RESOURCES.configmaps).update('default', { ...cm, data: { ...cm.data, 'app.conf': 'x=2' } });
    await setup.setUpVolumes(pod);
    expect(fs.readFileSync(path.join(conf.hostPath, 'app.conf'), 'utf8')).to.equal('x=2');

    const broken = { ...pod, spec: { ...pod.spec, containers: [{ name: 'app', image: 'x', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k' } } }] }] } };
    const err = await setup.containerConfig(broken, broken.spec.containers[0]!, FACTS).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ContainerConfigError);
    expect((err as Error).message).to.equal('configmap "missing" not found');
    await setup.tearDownVolumes(pod.metadata.uid!);
    expect(fs.existsSync(path.join(root, 'pods', pod.metadata.uid!))).to.equal(false);
  });
});
