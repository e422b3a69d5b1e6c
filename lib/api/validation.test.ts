import { expect } from 'chai';
import { FieldError } from './errors';
import {
  duplicate,
  FieldPath,
  forbidden,
  invalid,
  nameIsDns1035Label,
  nameIsDns1123Label,
  notSupported,
  required,
  tooLong,
  validateAnnotations,
  validateDns1035Label,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateLabels,
  validateLabelValue,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateOwnerReferences,
  validateQualifiedName,
} from './validation';

const fields = (errs: FieldError[]): string[] => errs.map((e) => e.field);
const lines = (errs: FieldError[]): string[] => errs.map((e) => `${e.field}: ${e.message}`);

describe('FieldPath', () => {
  it('renders children, indices and keys like Kubernetes', () => {
    expect(FieldPath.root('spec').child('containers').index(0).child('name').toString()).to.equal('spec.containers[0].name');
    expect(FieldPath.root('metadata').child('labels').key('app').toString()).to.equal('metadata.labels[app]');
    expect(FieldPath.root('spec').child('template', 'spec').toString()).to.equal('spec.template.spec');
    expect(String(FieldPath.root('a').index(1).index(2))).to.equal('a[1][2]');
  });

  it('is immutable', () => {
    const base = FieldPath.root('spec');
    base.child('x');
    expect(base.toString()).to.equal('spec');
  });
});

describe('field error helpers', () => {
  it('produce Kubernetes-style messages', () => {
    expect(required('metadata.name')).to.deep.equal({ type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value' });
    expect(required('x', 'why').message).to.equal('Required value: why');
    expect(invalid('metadata.name', 'Foo', 'bad').message).to.equal('Invalid value: "Foo": bad');
    expect(invalid('spec.replicas', -1, 'must be greater than or equal to 0').message).to.equal(
      'Invalid value: -1: must be greater than or equal to 0',
    );
    expect(notSupported('spec.restartPolicy', 'x', ['a', 'b']).message).to.equal('Unsupported value: "x": supported values: "a", "b"');
    expect(tooLong('metadata.annotations', '', 262144).message).to.equal('Too long: must have at most 262144 bytes');
    expect(duplicate('spec.ports[1].name', 'http').message).to.equal('Duplicate value: "http"');
    expect(forbidden('metadata.namespace', 'not allowed on this type').message).to.equal('Forbidden: not allowed on this type');
    expect(forbidden(FieldPath.root('a').child('b')).field).to.equal('a.b');
  });
});

describe('name rules', () => {
  const cases: [string, (v: string, p: string) => FieldError[], string, boolean][] = [
    ['subdomain', validateDns1123Subdomain, 'example.com', true],
    ['subdomain', validateDns1123Subdomain, 'a', true],
    ['subdomain', validateDns1123Subdomain, '0-a.b-1', true],
    ['subdomain', validateDns1123Subdomain, 'a'.repeat(253), true],
    ['subdomain', validateDns1123Subdomain, 'a'.repeat(254), false],
    ['subdomain', validateDns1123Subdomain, 'Example.com', false],
    ['subdomain', validateDns1123Subdomain, '-a', false],
    ['subdomain', validateDns1123Subdomain, 'a-', false],
    ['subdomain', validateDns1123Subdomain, 'a..b', false],
    ['subdomain', validateDns1123Subdomain, 'a_b', false],
    ['subdomain', validateDns1123Subdomain, '', false],
    ['label', validateDns1123Label, 'my-name', true],
    ['label', validateDns1123Label, '123-abc', true],
    ['label', validateDns1123Label, 'a'.repeat(63), true],
    ['label', validateDns1123Label, 'a'.repeat(64), false],
    ['label', validateDns1123Label, 'a.b', false],
    ['label', validateDns1123Label, 'A', false],
    ['dns1035', validateDns1035Label, 'my-svc', true],
    ['dns1035', validateDns1035Label, '1svc', false],
    ['dns1035', validateDns1035Label, 'svc.x', false],
    ['qualified', validateQualifiedName, 'app', true],
    ['qualified', validateQualifiedName, 'App_Name.x-1', true],
    ['qualified', validateQualifiedName, 'example.com/MyName', true],
    ['qualified', validateQualifiedName, 'kubernetes.io/os', true],
    ['qualified', validateQualifiedName, 'a'.repeat(63), true],
    ['qualified', validateQualifiedName, 'a'.repeat(64), false],
    ['qualified', validateQualifiedName, '/name', false],
    ['qualified', validateQualifiedName, 'Example.com/name', false],
    ['qualified', validateQualifiedName, 'example.com/', false],
    ['qualified', validateQualifiedName, 'a/b/c', false],
    ['qualified', validateQualifiedName, '_a', false],
    ['qualified', validateQualifiedName, 'a b', false],
    ['labelValue', validateLabelValue, '', true],
    ['labelValue', validateLabelValue, 'MyValue', true],
    ['labelValue', validateLabelValue, 'my_value.1', true],
    ['labelValue', validateLabelValue, 'a'.repeat(64), false],
    ['labelValue', validateLabelValue, 'a/b', false],
    ['labelValue', validateLabelValue, '-a', false],
  ];
  for (const [rule, fn, value, ok] of cases) {
    it(`${rule}: ${JSON.stringify(value.length > 20 ? `${value.slice(0, 8)}…(${value.length})` : value)} is ${ok ? 'valid' : 'invalid'}`, () => {
      const errs = fn(value, 'f');
      expect(errs.length === 0, JSON.stringify(errs)).to.equal(ok);
      for (const e of errs) expect(e).to.include({ field: 'f', type: 'FieldValueInvalid' });
    });
  }

  it('words the subdomain message like Kubernetes', () => {
    expect(lines(validateDns1123Subdomain('Foo', 'metadata.name'))).to.deep.equal([
      `metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
  });

  it('reports length and format separately', () => {
    const errs = validateDns1123Label(`${'a'.repeat(63)}-`, 'n');
    expect(errs).to.have.length(2);
    expect(errs[0].message).to.contain('must be no more than 63 characters');
    expect(errs[1].message).to.contain('a lowercase RFC 1123 label must consist of');
  });

  it('names the part of a qualified name that is wrong', () => {
    expect(validateQualifiedName('Bad.Prefix/x', 'k')[0].message).to.contain('prefix part a lowercase RFC 1123 subdomain');
    expect(validateQualifiedName('example.com/', 'k')[0].message).to.contain('name part must be non-empty');
    expect(validateQualifiedName('a/b/c', 'k')[0].message).to.contain("with an optional DNS subdomain prefix and '/'");
  });
});

describe('labels and annotations', () => {
  it('accepts good labels and reports bad keys and values on the map path', () => {
    expect(validateLabels({ app: 'web', 'example.com/tier': '', 'x.y': 'A_b-1' }, 'metadata.labels')).to.deep.equal([]);
    const errs = validateLabels({ 'bad key': 'ok', good: 'bad value!' }, 'metadata.labels');
    expect(fields(errs)).to.deep.equal(['metadata.labels', 'metadata.labels']);
    expect(errs[0].message).to.match(/^Invalid value: "bad key": name part must consist/);
    expect(errs[1].message).to.match(/^Invalid value: "bad value!": a valid label must be an empty string/);
  });

  it('accepts upper-case annotation prefixes (checked lower-cased) and rejects bad keys', () => {
    expect(validateAnnotations({ 'Example.COM/Thing': 'any value at all: {"json": true}' }, 'a')).to.deep.equal([]);
    expect(lines(validateAnnotations({ 'no spaces': 'x' }, 'a'))[0]).to.match(/^a: Invalid value: "no spaces"/);
  });

  it('limits annotations to 256 KiB in total', () => {
    const at = { k: 'v'.repeat(262144 - 1) };
    expect(validateAnnotations(at, 'metadata.annotations')).to.deep.equal([]);
    const over = { k: 'v'.repeat(262144 - 1), j: '' };
    expect(lines(validateAnnotations(over, 'metadata.annotations'))).to.deep.equal([
      'metadata.annotations: Too long: must have at most 262144 bytes',
    ]);
  });

  it('counts annotation size in UTF-8 bytes', () => {
    const half = 'é'.repeat(131072); // 262144 bytes
    expect(validateAnnotations({ k: half }, 'a')).to.have.length(1);
  });
});

describe('owner references', () => {
  const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1' };

  it('accepts complete references and at most one controller', () => {
    expect(validateOwnerReferences([{ ...ref, controller: true }, { ...ref, name: 'b', uid: 'u2' }], 'o')).to.deep.equal([]);
  });

  it('requires apiVersion with a version, kind, name and uid', () => {
    const errs = validateOwnerReferences([{ apiVersion: 'apps/', kind: '', name: '', uid: '' }], 'metadata.ownerReferences');
    expect(lines(errs)).to.deep.equal([
      'metadata.ownerReferences[0].apiVersion: Invalid value: "apps/": version must not be empty',
      'metadata.ownerReferences[0].kind: Invalid value: "": kind must not be empty',
      'metadata.ownerReferences[0].name: Invalid value: "": name must not be empty',
      'metadata.ownerReferences[0].uid: Invalid value: "": uid must not be empty',
    ]);
  });

  it('rejects two controllers', () => {
    const errs = validateOwnerReferences([{ ...ref, controller: true }, { ...ref, name: 'b', uid: 'u2', controller: true }], 'o');
    expect(errs).to.have.length(1);
    expect(errs[0].field).to.equal('o');
    expect(errs[0].message).to.contain('Only one reference can have Controller set to true');
    expect(errs[0].message).to.contain('ReplicaSet/web-1 and ReplicaSet/b');
  });
});

describe('validateObjectMeta', () => {
  const ns = { namespaced: true };
  const cluster = { namespaced: false };

  it('accepts a well-formed namespaced object', () => {
    expect(validateObjectMeta({ name: 'web', namespace: 'default', labels: { app: 'web' } }, ns)).to.deep.equal([]);
  });

  it('requires name or generateName', () => {
    expect(lines(validateObjectMeta({ namespace: 'default' }, ns))).to.deep.equal([
      'metadata.name: Required value: name or generateName is required',
    ]);
    expect(validateObjectMeta({ generateName: 'web-', namespace: 'default' }, ns)).to.deep.equal([]);
  });

  it('checks generateName as a prefix', () => {
    expect(fields(validateObjectMeta({ generateName: 'Web-', namespace: 'd' }, ns))).to.deep.equal(['metadata.generateName']);
  });

  it('checks the name with the kind’s rule', () => {
    expect(fields(validateObjectMeta({ name: 'Web', namespace: 'd' }, ns))).to.deep.equal(['metadata.name']);
    expect(validateObjectMeta({ name: 'a.b', namespace: 'd' }, ns)).to.deep.equal([]);
    expect(fields(validateObjectMeta({ name: 'a.b' }, { namespaced: false, nameValidator: nameIsDns1123Label }))).to.deep.equal([
      'metadata.name',
    ]);
    expect(fields(validateObjectMeta({ name: '1svc', namespace: 'd' }, { namespaced: true, nameValidator: nameIsDns1035Label }))).to.deep.equal([
      'metadata.name',
    ]);
  });

  it('requires a namespace for namespaced kinds and forbids it otherwise', () => {
    expect(lines(validateObjectMeta({ name: 'a' }, ns))).to.deep.equal(['metadata.namespace: Required value']);
    expect(fields(validateObjectMeta({ name: 'a', namespace: 'Bad_NS' }, ns))).to.deep.equal(['metadata.namespace']);
    expect(lines(validateObjectMeta({ name: 'n1', namespace: 'default' }, cluster))).to.deep.equal([
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
    expect(validateObjectMeta({ name: 'n1' }, cluster)).to.deep.equal([]);
  });

  it('reports every bad field at once, under a custom path', () => {
    const errs = validateObjectMeta(
      {
        labels: { 'a b': 'x' },
        annotations: { '': 'x' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: '' }],
        finalizers: ['example.com/ok', 'bad finalizer', 'custom', 'example.com/ok'],
      },
      cluster,
      FieldPath.root('spec').child('template').child('metadata'),
    );
    expect(fields(errs)).to.deep.equal([
      'spec.template.metadata.name',
      'spec.template.metadata.labels',
      'spec.template.metadata.annotations',
      'spec.template.metadata.ownerReferences[0].uid',
      'spec.template.metadata.finalizers[1]',
      'spec.template.metadata.finalizers[2]',
      'spec.template.metadata.finalizers[3]',
    ]);
    expect(errs[5].message).to.contain('neither a standard finalizer name nor is it fully qualified');
    expect(errs[6].message).to.equal('Duplicate value: "example.com/ok"');
  });

  it('rejects orphan together with foregroundDeletion', () => {
    const errs = validateObjectMeta({ name: 'a', finalizers: ['orphan', 'foregroundDeletion'] }, cluster);
    expect(errs).to.have.length(1);
    expect(errs[0].message).to.contain('cannot be both set');
  });
});

describe('validateObjectMetaUpdate', () => {
  const old = {
    name: 'web',
    namespace: 'default',
    uid: 'u1',
    creationTimestamp: '2024-01-01T00:00:00Z',
    generation: 3,
    labels: { app: 'web' },
  };

  it('allows changing labels, annotations and generation upward', () => {
    expect(validateObjectMetaUpdate({ ...old, labels: { app: 'web2' }, annotations: { a: 'b' }, generation: 4 }, old)).to.deep.equal([]);
  });

  const immutables: [string, object][] = [
    ['name', { name: 'other' }],
    ['namespace', { namespace: 'other' }],
    ['uid', { uid: 'u2' }],
    ['creationTimestamp', { creationTimestamp: '2025-01-01T00:00:00Z' }],
  ];
  for (const [field, change] of immutables) {
    it(`keeps ${field} immutable`, () => {
      const errs = validateObjectMetaUpdate({ ...old, ...change }, old);
      expect(errs).to.have.length(1);
      expect(errs[0].field).to.equal(`metadata.${field}`);
      expect(errs[0].message).to.match(/^Invalid value: ".*": field is immutable$/);
    });
  }

  it('keeps generation from going down and deletionTimestamp once set', () => {
    expect(lines(validateObjectMetaUpdate({ ...old, generation: 2 }, old))).to.deep.equal([
      'metadata.generation: Invalid value: 2: must not be decremented',
    ]);
    const deleting = { ...old, deletionTimestamp: '2024-02-01T00:00:00Z', finalizers: ['example.com/a'] };
    expect(fields(validateObjectMetaUpdate({ ...deleting, deletionTimestamp: undefined }, deleting))).to.deep.equal([
      'metadata.deletionTimestamp',
    ]);
    expect(validateObjectMetaUpdate({ ...deleting, finalizers: [] }, deleting)).to.deep.equal([]);
    const added = validateObjectMetaUpdate({ ...deleting, finalizers: ['example.com/a', 'example.com/b'] }, deleting);
    expect(added.map((e) => e.type)).to.deep.equal(['FieldValueForbidden']);
  });

  it('validates the new labels too', () => {
    expect(fields(validateObjectMetaUpdate({ ...old, labels: { app: 'bad value' } }, old))).to.deep.equal(['metadata.labels']);
  });
});
