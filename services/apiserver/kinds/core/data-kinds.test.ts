import { expect } from 'chai';
import { configMapStrategy, type ConfigMap } from './configmap';
import { secretStrategy, type Secret } from './secret';
import { serviceAccountStrategy } from './service-account';
import { clone, lines } from './test-helpers';

const meta = { name: 'x', namespace: 'default' };

describe('core/v1 ConfigMap strategy', () => {
  it('accepts valid keys and reports bad keys, data/binaryData overlap and size', () => {
    const ok: ConfigMap = { metadata: meta, data: { 'app.properties': 'a=1', KEY_1: 'v', '.hidden': 'x' }, binaryData: { 'bin-1': 'AAEC' } };
    expect(configMapStrategy.validate(ok)).to.deep.equal([]);
    const bad: ConfigMap = { metadata: meta, data: { 'a/b': '1', '..x': '2', dup: 'x' }, binaryData: { dup: 'AA==' } };
    expect(lines(configMapStrategy.validate(bad))).to.deep.equal([
      `data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      `data[..x]: Invalid value: "..x": must not start with '..'`,
      'data[dup]: Invalid value: "dup": duplicate of key present in binaryData',
    ]);
    const big: ConfigMap = { metadata: meta, data: { a: 'x'.repeat(1024 * 1024) } };
    expect(lines(configMapStrategy.validate(big))).to.deep.equal([': Too long: must have at most 1048576 bytes']);
  });

  it('data changes do not bump generation; immutable ConfigMaps keep their data', () => {
    const old: ConfigMap = { metadata: meta, data: { a: '1' }, immutable: true };
    const next = clone(old);
    next.data = { a: '2' };
    expect(configMapStrategy.specChanged(next, old)).to.equal(false);
    expect(lines(configMapStrategy.validateUpdate(next, old))).to.deep.equal(['data: Forbidden: field is immutable when `immutable` is set']);
    const unset = clone(old);
    unset.immutable = false;
    expect(lines(configMapStrategy.validateUpdate(unset, old))).to.deep.equal(['immutable: Forbidden: field is immutable when `immutable` is set']);
  });

  it('has Kubernetes identity', () => {
    expect(configMapStrategy.info).to.deep.equal({ group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'], categories: [] });
    expect(configMapStrategy.hasStatus).to.equal(false);
  });
});

describe('core/v1 Secret strategy', () => {
  it('defaults type to Opaque and merges stringData into data, then drops it', () => {
    const s: Secret = { metadata: meta, data: { a: Buffer.from('old').toString('base64'), b: 'Yg==' }, stringData: { a: 'new', c: 'see' } };
    secretStrategy.prepareForCreate(s);
    expect(s).to.deep.equal({ metadata: meta, type: 'Opaque', data: { a: 'bmV3', b: 'Yg==', c: 'c2Vl' } });
    expect(secretStrategy.validate(s)).to.deep.equal([]);
    const u: Secret = { metadata: meta, type: 'Opaque', data: { a: 'bmV3' }, stringData: { z: 'zz' } };
    secretStrategy.prepareForUpdate(u, s);
    expect(u.data).to.deep.equal({ a: 'bmV3', z: 'eno=' });
    expect(u).to.not.have.property('stringData');
  });

  it('requires base64 values and type-specific keys', () => {
    const bad: Secret = { metadata: meta, data: { a: 'not base64!' } };
    secretStrategy.prepareForCreate(bad);
    expect(lines(secretStrategy.validate(bad))).to.deep.equal(['data[a]: Invalid value: "<value omitted>": must be a base64-encoded string']);
    const tls: Secret = { metadata: meta, type: 'kubernetes.io/tls', data: { 'tls.crt': 'AA==' } };
    expect(lines(secretStrategy.validate(tls))).to.deep.equal(['data[tls.key]: Required value']);
  });

  it('type is immutable; data changes do not bump generation', () => {
    const old: Secret = { metadata: meta, type: 'Opaque', data: { a: 'YQ==' } };
    const next = clone(old);
    next.type = 'kubernetes.io/basic-auth';
    next.data = { username: 'dQ==' };
    expect(lines(secretStrategy.validateUpdate(next, old))).to.deep.equal(['type: Invalid value: "kubernetes.io/basic-auth": field is immutable']);
    expect(secretStrategy.specChanged(next, old)).to.equal(false);
  });

  it('selects by type and has Kubernetes identity', () => {
    expect(secretStrategy.selectableFields!({ metadata: meta, type: 'Opaque' })).to.deep.equal({ type: 'Opaque' });
    expect(secretStrategy.info).to.deep.include({ kind: 'Secret', resource: 'secrets', singular: 'secret', namespaced: true, shortNames: [], categories: [] });
  });
});

describe('core/v1 ServiceAccount strategy', () => {
  it('has Kubernetes identity and checks imagePullSecrets names', () => {
    expect(serviceAccountStrategy.info).to.deep.include({ kind: 'ServiceAccount', resource: 'serviceaccounts', singular: 'serviceaccount', shortNames: ['sa'] });
    expect(lines(serviceAccountStrategy.validate({ metadata: meta, imagePullSecrets: [{}] }))).to.deep.equal(['imagePullSecrets[0].name: Required value']);
  });
});
