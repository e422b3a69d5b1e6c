import { expect } from 'chai';
import { createLogger } from '../../../lib/logger';
import { RESOURCES } from '../../../lib/api/resources';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { ApiServer } from '../apiserver';
import { TwoDoorApiServer } from '../test-api-server';
import { parseEncryptionConfig } from './encryption-config';

const KEY1 = Buffer.alloc(32, 7).toString('base64');
const KEY2 = Buffer.alloc(32, 9).toString('base64');
const configWith = (...keys: [string, string][]) =>
  parseEncryptionConfig(
    `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aesgcm:\n          keys:\n${keys.map(([n, s]) => `            - name: ${n}\n              secret: ${s}\n`).join('')}      - identity: {}\n`,
  );

describe('Secrets encrypted at rest (a real apiserver on a real Bosun store, kubectl)', function () {
  this.timeout(60_000);
  let api: TwoDoorApiServer;

  before(async () => {
    api = await TwoDoorApiServer.start('bosun-encryption-', { encryption: configWith(['key1', KEY1]) });
  });
  after(async () => api?.stop());

  const raw = async (key: string) => (await api.store.get(key)).kvs[0]!.value;

  it('stores a Secret as AES-GCM ciphertext (what etcdctl get shows), reads it back through kubectl; other kinds stay plain', async () => {
    const created = await api.kubectl(['create', 'secret', 'generic', 'db', '--from-literal=password=hunter2']);
    expect(created.code, created.stderr).to.equal(0);
    const stored = await raw('/registry/secrets/default/db');
    expect(stored.subarray(0, 23).toString()).to.equal('k8s:enc:aesgcm:v1:key1:');
    expect(stored.includes(Buffer.from('hunter2'))).to.equal(false);
    expect(stored.includes(Buffer.from(Buffer.from('hunter2').toString('base64')))).to.equal(false);
    const got = await api.kubectl(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
    expect(Buffer.from(got.stdout, 'base64').toString()).to.equal('hunter2');
    await api.kubectl(['create', 'configmap', 'plain', '--from-literal=a=b']);
    expect((await raw('/registry/configmaps/default/plain')).toString()).to.match(/^\{/);
  });

  it('a value no configured key reads is reported, and neither a list nor the watch cache fails on it', async () => {
    await api.store.put('/registry/secrets/default/alien', Buffer.concat([Buffer.from('k8s:enc:aesgcm:v1:gone:'), Buffer.alloc(40, 1)]));
    const list = await api.kubectl(['get', 'secrets']);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.match(/^db\s/m);
    const one = await api.kubectl(['get', 'secret', 'alien']);
    expect(one.code).to.not.equal(0);
    expect(one.stderr).to.match(/no configured provider reads this value \(k8s:enc:aesgcm:v1:gone:\)/);
  });
  it('after a key rotation reads old values, writes with the new key, and a replace re-encrypts an unchanged Secret', async () => {
    const rotated = await ApiServer.start({ storeEndpoints: api.backend.endpoints, grpcListen: '127.0.0.1:0', encryption: configWith(['key2', KEY2], ['key1', KEY1]) }, createLogger('apiserver', 'warn'));
    const client = new GrpcApiClient({ endpoints: [rotated.grpcAddress] });
    try {
      const secrets = client.resource(RESOURCES.secrets);
      const old = await secrets.get('default', 'db');
      expect(Buffer.from((old as unknown as { data: Record<string, string> }).data.password!, 'base64').toString()).to.equal('hunter2');
      await secrets.update('default', old);
      expect((await raw('/registry/secrets/default/db')).subarray(0, 23).toString()).to.equal('k8s:enc:aesgcm:v1:key2:');
      expect((await secrets.get('default', 'db')).metadata.resourceVersion).to.not.equal(old.metadata.resourceVersion);
    } finally {
      client.close();
      await rotated.stop();
    }
  });

});
