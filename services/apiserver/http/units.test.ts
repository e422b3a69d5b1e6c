import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BearerAuthenticator, ensureTokenFile, readTokenFile } from './bearer-auth';
import { ensureClusterTls } from './cluster-tls';
import { decodeErrorContext, duplicateFields, enforceFieldValidation, unknownFields } from '../rest/field-validation';
import { negotiate } from './media-negotiation';
import { parseApiPath } from './request-path';

describe('HTTP API parts', () => {
  describe('parseApiPath', () => {
    it('parses namespaced, cluster-wide, subresource and legacy watch paths', () => {
      expect(parseApiPath('/api/v1/namespaces/default/pods/web-1/log')).to.deep.equal({
        type: 'resource', group: '', version: 'v1', resource: 'pods', namespace: 'default', name: 'web-1', subresource: 'log', watch: false,
      });
      expect(parseApiPath('/apis/apps/v1/deployments')).to.include({ resource: 'deployments', namespace: undefined, name: undefined });
      expect(parseApiPath('/apis/apps/v1/watch/namespaces/a/deployments/web')).to.include({ namespace: 'a', name: 'web', watch: true });
      expect(parseApiPath('/api/v1/namespaces/team-a')).to.include({ resource: 'namespaces', name: 'team-a', namespace: undefined });
      expect(parseApiPath('/api/v1/namespaces/team-a/status')).to.include({ resource: 'namespaces', name: 'team-a', subresource: 'status' });
      expect(parseApiPath('/api/v1/namespaces/team-a/configmaps')).to.include({ resource: 'configmaps', namespace: 'team-a' });
      expect(parseApiPath('/api/v1/nodes/rbac%3Anode')).to.include({ resource: 'nodes', name: 'rbac:node' });
    });

    it('parses discovery paths and refuses what is not an API path', () => {
      expect(parseApiPath('/api')).to.deep.equal({ type: 'api-versions' });
      expect(parseApiPath('/apis')).to.deep.equal({ type: 'group-list' });
      expect(parseApiPath('/apis/apps')).to.deep.equal({ type: 'group', group: 'apps' });
      expect(parseApiPath('/apis/apps/v1')).to.deep.equal({ type: 'resource-list', group: 'apps', version: 'v1' });
      expect(parseApiPath('/api/v1/namespaces/a/pods/b/c/d')).to.equal(undefined);
      expect(parseApiPath('/api//v1')).to.equal(undefined);
      expect(parseApiPath('/metrics')).to.equal(undefined);
      expect(() => parseApiPath('/api/v1/pods/%E0%A4%A')).to.throw(/percent-encoded/);
    });
  });

  describe('negotiate', () => {
    it('chooses a Table for kubectl get, JSON for protobuf-first typed clients, protobuf only when nothing else is accepted', () => {
      expect(negotiate('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).to.deep.equal({ type: 'table', version: 'v1' });
      expect(negotiate('application/vnd.kubernetes.protobuf,application/json')).to.deep.equal({ type: 'json' });
      expect(negotiate('application/vnd.kubernetes.protobuf')).to.deep.equal({ type: 'protobuf' });
      expect(negotiate('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json')).to.deep.equal({ type: 'json' });
      expect(negotiate(undefined)).to.deep.equal({ type: 'json' });
      expect(negotiate('application/json, */*')).to.deep.equal({ type: 'json' });
    });
  });

  describe('field validation', () => {
    it('finds unknown fields by the kind schema, ignoring patch directives', () => {
      const d = { metadata: { name: 'x', bogus: 1 }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'c', imag: 'x' }], $setElementOrder: [] } } }, extra: true };
      expect(unknownFields(d, 'apps/v1', 'Deployment').sort()).to.deep.equal(['extra', 'metadata.bogus', 'spec.template.spec.containers[0].imag']);
      expect(unknownFields({ metadata: {} }, 'example.com/v1', 'Nothing')).to.deep.equal([]);
    });

    it('finds keys given twice in one JSON object, with their path', () => {
      expect(duplicateFields('{"a":1,"b":{"c":[{"d":1,"d":2}],"c":3},"a":"x\\"y"}')).to.deep.equal(['b.c[0].d', 'b.c', 'a']);
      expect(duplicateFields('{"a":"{\\"a\\":1,\\"a\\":2}"}')).to.deep.equal([]);
      expect(duplicateFields('[{"a":1},{"a":2}]')).to.deep.equal([]);
    });

    it('Strict names every problem after the decoding context Kubernetes gives create/update bodies', () => {
      const context = decodeErrorContext('apps/v1', 'Deployment');
      expect(context).to.equal('Deployment in version "v1" cannot be handled as a Deployment: ');
      expect(decodeErrorContext('v1', 'ConfigMap')).to.equal('ConfigMap in version "v1" cannot be handled as a ConfigMap: ');
      expect(() => enforceFieldValidation('Strict', ['spec.replicaz'], ['a'], [], context)).to.throw(
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: duplicate field "a", unknown field "spec.replicaz"',
      );
      const warnings: string[] = [];
      enforceFieldValidation('Warn', ['x'], [], warnings, context);
      expect(warnings).to.deep.equal(['unknown field "x"']);
    });
  });

  describe('cluster TLS and tokens', () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-tls-'))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('makes a CA and a serving certificate once, keeps the CA when the hosts change', () => {
      const first = ensureClusterTls(path.join(dir, 'pki'));
      const again = ensureClusterTls(path.join(dir, 'pki'));
      expect(again).to.deep.equal(first);
      const cert = new crypto.X509Certificate(first.cert);
      const ca = new crypto.X509Certificate(first.caCert);
      expect(cert.checkIssued(ca)).to.equal(true);
      expect(ca.ca).to.equal(true);
      expect(cert.subjectAltName).to.contain('IP Address:127.0.0.1').and.contain('DNS:localhost').and.contain('IP Address:0:0:0:0:0:0:0:1');
      const more = ensureClusterTls(path.join(dir, 'pki'), ['api.example.test', '10.0.0.7']);
      expect(more.caCert).to.equal(first.caCert);
      expect(more.cert).not.to.equal(first.cert);
      expect(new crypto.X509Certificate(more.cert).subjectAltName).to.contain('DNS:api.example.test').and.contain('IP Address:10.0.0.7');
    });

    it('makes a token file once and authenticates only its tokens', () => {
      const file = path.join(dir, 'tokens.csv');
      const token = ensureTokenFile(file);
      expect(ensureTokenFile(file)).to.equal(token);
      expect(readTokenFile(file)).to.deep.equal([token]);
      const auth = new BearerAuthenticator([token]);
      expect(auth.authenticate({ authorization: `Bearer ${token}` })).to.equal(true);
      expect(auth.authenticate({ authorization: `Bearer ${token}x` })).to.equal(false);
      expect(auth.authenticate({ authorization: `Basic ${token}` })).to.equal(false);
      expect(auth.authenticate({})).to.equal(false);
    });
  });
});
