import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../lib/config-error';
import { ensureEncryptionConfig, parseEncryptionConfig, readEncryptionConfig } from './encryption-config';

const KEY1 = Buffer.alloc(32, 1).toString('base64');
const KEY2 = Buffer.alloc(32, 2).toString('base64');

function config(providers: string, resources = '[secrets]'): string {
  return `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: ${resources}\n    providers:\n${providers}`;
}
const aesgcm = (...keys: [string, string][]) => `      - aesgcm:\n          keys:\n${keys.map(([n, s]) => `            - name: ${n}\n              secret: ${s}\n`).join('')}`;

describe('EncryptionConfiguration (--encryption-provider-config)', () => {
  it('encrypts with the first key, reads every listed key, and marks other keys\' values stale', () => {
    const old = parseEncryptionConfig(config(aesgcm(['key1', KEY1]))).transformerFor('', 'secrets')!;
    const rotated = parseEncryptionConfig(config(aesgcm(['key2', KEY2], ['key1', KEY1]))).transformerFor('', 'secrets')!;
    const stored = old.toStorage('{"a":1}', '/registry/secrets/default/s');
    expect(stored.subarray(0, 22).toString()).to.equal('k8s:enc:aesgcm:v1:key1');
    expect(stored.includes(Buffer.from('"a"'))).to.equal(false);
    expect(rotated.fromStorage(stored, '/registry/secrets/default/s').toString()).to.equal('{"a":1}');
    expect(rotated.isStale(stored)).to.equal(true);
    expect(rotated.isStale(rotated.toStorage('{}', '/k'))).to.equal(false);
  });

  it('refuses a value moved to another key, a tampered value, and plain text without identity', () => {
    const t = parseEncryptionConfig(config(aesgcm(['key1', KEY1]))).transformerFor('', 'secrets')!;
    const stored = t.toStorage('{"a":1}', '/registry/secrets/default/s');
    expect(() => t.fromStorage(stored, '/registry/secrets/default/other')).to.throw(/aesgcm:key1 could not decrypt/);
    const tampered = Buffer.from(stored);
    tampered[tampered.length - 20]! ^= 1;
    expect(() => t.fromStorage(tampered, '/registry/secrets/default/s')).to.throw(/could not decrypt/);
    expect(() => t.fromStorage(Buffer.from('{"a":1}'), '/k')).to.throw(/no configured provider reads this value \(plain text\)/);
  });

  it('reads plain values with identity listed after the key (turning encryption on), and aescbc', () => {
    const t = parseEncryptionConfig(config(`      - aescbc:\n          keys:\n            - name: k\n              secret: ${KEY1}\n      - identity: {}\n`)).transformerFor('', 'secrets')!;
    expect(t.fromStorage(Buffer.from('{"plain":true}'), '/k').toString()).to.equal('{"plain":true}');
    expect(t.isStale(Buffer.from('{"plain":true}'))).to.equal(true);
    expect(t.fromStorage(t.toStorage('{"x":2}', '/k'), '/k').toString()).to.equal('{"x":2}');
  });

  it('matches resources by name, resource.group and wildcards', () => {
    const c = parseEncryptionConfig(config(aesgcm(['k', KEY1]), '[secrets, deployments.apps, "*.batch"]'));
    expect(c.transformerFor('', 'secrets')).to.not.equal(undefined);
    expect(c.transformerFor('apps', 'deployments')).to.not.equal(undefined);
    expect(c.transformerFor('batch', 'jobs')).to.not.equal(undefined);
    expect(c.transformerFor('', 'configmaps')).to.equal(undefined);
    expect(parseEncryptionConfig(config(aesgcm(['k', KEY1]), '["*.*"]')).transformerFor('', 'configmaps')).to.not.equal(undefined);
  });

  it('names the field of every mistake', () => {
    const bad: [string, RegExp][] = [
      ['kind: Nope', /kind: "Nope", want EncryptionConfiguration/],
      [config(aesgcm(['k', Buffer.alloc(7).toString('base64')])), /resources\[0\]\.providers\[0\]\.aesgcm\.keys\[0\]\.secret: 7 bytes/],
      [config(aesgcm(['k', KEY1], ['k', KEY2])), /keys\[1\]\.name: "k" is listed twice/],
      [config('      - secretbox: {}\n'), /providers\[0\]\.secretbox: not supported/],
      [config('      - rot13: {}\n'), /unknown provider "rot13"/],
      [config('      []\n').replace('providers:\n      []', 'providers: []'), /providers: at least one provider/],
      [config(aesgcm(['k', KEY1]), '["Secrets!"]'), /resources\[0\]\.resources\[0\]: "Secrets!" is not a resource/],
      ['{', /not YAML or JSON/],
    ];
    for (const [text, message] of bad) {
      const doc = text.startsWith('kind:') ? `apiVersion: apiserver.config.k8s.io/v1\n${text}\nresources: []` : text;
      expect(() => parseEncryptionConfig(doc), doc).to.throw(ConfigError, message);
    }
  });
});

describe('ensureEncryptionConfig (what bosun up starts the apiservers with)', () => {
  it('makes a config with a new AES-256 key for Secrets, readable by its owner only, and keeps an existing one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-enc-'));
    try {
      const file = path.join(dir, 'pki', 'encryption-config.yaml');
      ensureEncryptionConfig(file);
      const first = fs.readFileSync(file, 'utf8');
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      const t = readEncryptionConfig(file).transformerFor('', 'secrets')!;
      expect(t.toStorage('{}', '/k').subarray(0, 23).toString()).to.equal('k8s:enc:aesgcm:v1:key1:');
      ensureEncryptionConfig(file);
      expect(fs.readFileSync(file, 'utf8')).to.equal(first);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
