import { expect } from 'chai';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { Document as OpenApiV2Document } from '../../../gen/openapi/v2/openapi-v2';
import { OPENAPI_V2_PROTOBUF_REQUESTED } from '../../../lib/api/openapi';
import type { ResourceSet } from '../rest/resource-set';
import { MAX_NESTING_DEPTH } from '../../../lib/api/body/nesting';
import { HttpApi, UNEXPECTED_ERROR_MESSAGE } from './http-api';
import { MAX_BODY_BYTES } from './request-body';
import { TestHttpServer, type KubectlRun } from './test-http-server';

/** Raw HTTPS answer. */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** Text that only JavaScript itself writes: none of it may reach a client. */
const JAVASCRIPT_ERROR_TEXT = /Unexpected token|in JSON at position|is not valid JSON:.*"|call stack|Cannot read prop|is not a function|TypeError|RangeError|SyntaxError|\[object Object\]/;

const KUBECTL_TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';

/**
 * The HTTP door answering the client's mistakes with errors that name them, through the
 * in-process HTTPS apiserver and the real kubectl: a misspelt kind, an Accept the server cannot
 * produce, a negative watch timeout, a body over the size limit, bodies nested too deeply, and
 * malformed paths and bodies — never a dropped connection, a 500 or JavaScript's own error text.
 */
describe('HttpApi: errors that name the client’s mistake', function () {
  this.timeout(120_000);
  const TOKEN = 'test-token-mistakes-0123';
  let server: TestHttpServer;

  function request(method: string, urlPath: string, opts: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}`, ...(opts.headers ?? {}) };
      if (opts.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body));
      const req = https.request({ host: '127.0.0.1', port: server.api.port, method, path: urlPath, ca: server.api.tls.caCert, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  /** A request that must fail with `code`: its Status, checked for JavaScript error text. */
  async function failure(code: number, method: string, urlPath: string, opts: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<{ reason: string; message: string }> {
    const answer = await request(method, urlPath, opts);
    expect(answer.status, `${method} ${urlPath}: ${answer.text}`).to.equal(code);
    expect(answer.headers['content-type']).to.equal('application/json');
    const status = JSON.parse(answer.text) as { kind: string; code: number; reason: string; message: string };
    expect(status).to.include({ kind: 'Status', code });
    expect(status.message).not.to.match(JAVASCRIPT_ERROR_TEXT);
    return status;
  }

  function write(name: string, text: string): string {
    const file = path.join(server.dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  async function kubectl(args: string[]): Promise<KubectlRun> {
    return server.kubectl(args);
  }

  before(async () => {
    server = await TestHttpServer.start('bosun-mistakes-', TOKEN);
  });

  after(async () => {
    await server?.stop();
  });

  describe('a misspelt kind', () => {
    const deployment = (kind: string, apiVersion = 'apps/v1', name = 'web') =>
      `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n  selector: {matchLabels: {app: web}}\n` +
      '  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: nginx}]}\n';

    it('kubectl apply and create print kubectl’s own "no matches for kind" (OpenAPI v2 is served as protobuf)', async () => {
      const typo = write('typo.yaml', deployment('Deploymnt'));
      for (const verb of ['apply', 'create']) {
        const r = await kubectl([verb, '-f', typo]);
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stderr).to.contain('no matches for kind "Deploymnt" in version "apps/v1"');
        expect(r.stderr).not.to.contain('failed to download openapi');
      }
      const version = await kubectl(['apply', '-f', write('version.yaml', deployment('Deployment', 'apps/v2'))]);
      expect(version.stderr).to.contain('no matches for kind "Deployment" in version "apps/v2"');
    });

    it('kubectl apply of good manifests still works under default and strict validation', async () => {
      const good = write('good.yaml', deployment('Deployment'));
      expect((await kubectl(['apply', '-f', good])).stdout).to.contain('deployment.apps/web created');
      for (const flag of ['--validate=strict', '--validate=true', '--validate=warn']) {
        const r = await kubectl(['apply', flag, '-f', good]);
        expect(r.code, `${flag}: ${r.stderr}`).to.equal(0);
        expect(r.stdout).to.contain('deployment.apps/web unchanged');
      }
      const strict = await kubectl(['create', '--validate=strict', '-f', write('unknown.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: odd}\nbogus: 1\n')]);
      expect(strict.stderr).to.contain('strict decoding error: unknown field "bogus"');
    });

    it('kubectl explain reads the whole v2 document (its schema parser rejects what it cannot read)', async () => {
      const r = await kubectl(['explain', '--output=plaintext-openapiv2', 'deployment.spec.template.spec.containers.ports']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/RESOURCE:\s+ports <\[\]Object>/);
      expect(r.stdout).to.contain('containerPort');
      const raw = await request('GET', '/openapi/v2', { headers: { Accept: OPENAPI_V2_PROTOBUF_REQUESTED } });
      expect(raw.headers['content-type']).to.equal('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
      expect(OpenApiV2Document.decode(raw.body).swagger).to.equal('2.0');
    });

    it('an empty CustomResourceDefinition list tells kubectl the kind is not a custom one', async () => {
      const list = JSON.parse((await request('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).text) as Record<string, unknown>;
      expect(list).to.deep.include({ kind: 'CustomResourceDefinitionList', items: [] });
      await failure(405, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: '{}', headers: { 'Content-Type': 'application/json' } });
      await failure(404, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
    });
  });

  describe('Accept', () => {
    it('a media type the server cannot produce is 406 NotAcceptable, on resources, discovery and OpenAPI', async () => {
      for (const [urlPath, accept] of [
        [CONFIGMAPS, 'application/xml'], [`${CONFIGMAPS}/nope`, 'text/html'], ['/apis', 'application/xml'], ['/api/v1', 'image/png'],
        [CONFIGMAPS, 'text/html;q=0.9, */*;q=0'], [CONFIGMAPS, 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io'],
      ] as const) {
        const status = await failure(406, 'GET', urlPath, { headers: { Accept: accept } });
        expect(status.reason).to.equal('NotAcceptable');
        expect(status.message).to.equal('only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
      }
      expect((await failure(406, 'GET', '/openapi/v2', { headers: { Accept: 'application/xml' } })).reason).to.equal('NotAcceptable');
      const watch = await failure(406, 'GET', `${CONFIGMAPS}?watch=true`, { headers: { Accept: 'application/yaml' } });
      expect(watch.message).to.equal('only the following media types are accepted: application/json, application/json;stream=watch');
    });

    it('*/*, no Accept, JSON, YAML, Table, protobuf and kubectl’s own Accept headers are served', async () => {
      await request('POST', CONFIGMAPS, { body: '{"metadata":{"name":"accept"},"data":{"on":"yes"}}', headers: { 'Content-Type': 'application/json' } });
      const cm = `${CONFIGMAPS}/accept`;
      for (const accept of [undefined, '*/*', 'application/json', 'application/json, */*', 'application/vnd.kubernetes.protobuf,application/json', 'application/*']) {
        const r = await request('GET', cm, { headers: accept ? { Accept: accept } : {} });
        expect([r.status, r.headers['content-type']], String(accept)).to.deep.equal([200, 'application/json']);
        expect(JSON.parse(r.text)).to.deep.include({ kind: 'ConfigMap' });
      }
      const table = await request('GET', CONFIGMAPS, { headers: { Accept: KUBECTL_TABLE_ACCEPT } });
      expect(JSON.parse(table.text)).to.include({ kind: 'Table' });
      const yaml = await request('GET', cm, { headers: { Accept: 'application/yaml' } });
      expect(yaml.headers['content-type']).to.equal('application/yaml');
      expect((parseYaml(yaml.text) as { data: Record<string, unknown> }).data).to.deep.equal({ on: 'yes' });
      expect(yaml.text).to.match(/"yes"/); // quoted for YAML 1.1 readers
      const created = await request('POST', CONFIGMAPS, { body: 'metadata: {name: yaml-in-out}\n', headers: { 'Content-Type': 'application/yaml', Accept: 'application/yaml' } });
      expect([created.status, created.headers['content-type']]).to.deep.equal([201, 'application/yaml']);
      expect(parseYaml(created.text)).to.deep.include({ kind: 'ConfigMap' });
      const proto = await request('GET', cm, { headers: { Accept: 'application/vnd.kubernetes.protobuf' } });
      expect(proto.headers['content-type']).to.equal('application/vnd.kubernetes.protobuf');
      expect(proto.body.subarray(0, 4).toString('latin1')).to.equal('k8s\0');
      const get = await kubectl(['get', 'configmap', 'accept', '-o', 'yaml']);
      expect(get.stdout).to.match(/^kind: ConfigMap$/m);
      expect((await kubectl(['get', 'configmaps'])).stdout).to.match(/^accept\s+1\s+/m);
      expect((await kubectl(['describe', 'configmap', 'accept'])).stdout).to.match(/^Name:\s+accept$/m);
    });
  });

  describe('watch timeoutSeconds', () => {
    it('a negative or non-integer timeout is 400 naming timeoutSeconds; 1 second ends the watch', async () => {
      const negative = await failure(400, 'GET', `${CONFIGMAPS}?watch=true&timeoutSeconds=-5`);
      expect(negative.message).to.equal('timeoutSeconds: Invalid value: -5: must be greater than or equal to 0');
      await failure(400, 'GET', `/api/v1/watch/namespaces/default/configmaps?timeoutSeconds=-1`);
      for (const bad of ['1.5', 'abc', '1e3', '--1']) {
        expect((await failure(400, 'GET', `${CONFIGMAPS}?watch=true&timeoutSeconds=${bad}`)).message).to.contain('timeoutSeconds');
      }
      const started = Date.now();
      const ok = await request('GET', `${CONFIGMAPS}?watch=true&timeoutSeconds=1`);
      expect(ok.status).to.equal(200);
      expect(Date.now() - started).to.be.below(10_000);
    });
  });

  describe('bodies over the size limit', () => {
    /**
     * Sends a `total`-byte body past the limit over a raw TLS connection, reading the answer while
     * it writes (as Go's client does): the server must read the whole body rather than drop the
     * connection, which would make a write fail with EPIPE or ECONNRESET (`writeError`).
     */
    async function uploadPastLimit(opts: { chunked: boolean; close: boolean }, total = 3 * MAX_BODY_BYTES): Promise<{ answer: string; writeError?: Error }> {
      const CHUNK_BYTES = 256 * 1024;
      const socket = tls.connect({ host: '127.0.0.1', port: server.api.port, ca: server.api.tls.caCert, servername: 'localhost' });
      let writeError: Error | undefined;
      let answer = '';
      const failed = new Promise<void>((done) => socket.on('error', (err) => {
        writeError = err;
        done();
      }));
      socket.on('data', (d) => (answer += d));
      const STALL_MS = 10_000;
      const write = async (data: string | Buffer): Promise<void> => {
        if (writeError || socket.write(data)) return;
        let timer: NodeJS.Timeout | undefined;
        const stalled = new Promise<void>((done) => (timer = setTimeout(() => {
          writeError = new Error(`the server stopped reading the body for ${STALL_MS} ms`);
          done();
        }, STALL_MS)));
        await Promise.race([new Promise((done) => socket.once('drain', done)), failed, stalled]);
        clearTimeout(timer);
      };
      await Promise.race([new Promise((done) => socket.once('secureConnect', done)), failed]);
      const framing = opts.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${total}`;
      await write(`POST ${CONFIGMAPS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n` +
        `${framing}\r\n${opts.close ? 'Connection: close\r\n' : ''}\r\n`);
      for (let sent = 0; sent < total && !writeError; sent += CHUNK_BYTES) {
        const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, total - sent), 0x20);
        await write(opts.chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
      }
      if (opts.chunked) await write('0\r\n\r\n');
      await new Promise((done) => setTimeout(done, 300)); // a reset would show up now
      socket.destroy();
      return { answer, writeError };
    }

    for (const opts of [{ chunked: false, close: false }, { chunked: true, close: false }, { chunked: false, close: true }, { chunked: true, close: true }]) {
      const what = `${opts.chunked ? 'a chunked body' : 'a body with Content-Length'}${opts.close ? ', Connection: close' : ''}`;
      it(`answers 413 with a Status and reads the rest of ${what}`, async () => {
        for (let attempt = 0; attempt < 3; attempt++) {
          const r = await uploadPastLimit(opts);
          expect(r.writeError?.message, 'the server dropped the connection while the body was still coming').to.equal(undefined);
          expect(r.answer).to.match(/^HTTP\/1\.1 413 /);
          const body = r.answer.slice(r.answer.indexOf('\r\n\r\n') + 4);
          expect(JSON.parse(body)).to.include({ kind: 'Status', reason: 'RequestEntityTooLarge', message: `Request entity too large: limit is ${MAX_BODY_BYTES}` });
        }
        expect((await request('GET', '/api/v1/namespaces/default/configmaps?limit=1')).status).to.equal(200);
      });
    }

    it('kubectl apply of a too-large object prints the 413 message', async () => {
      const big = write('big.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: "${'x'.repeat(MAX_BODY_BYTES + 1024)}"\n`);
      for (const verb of ['apply', 'create']) {
        const r = await kubectl([verb, '-f', big]);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.contain(`Error from server (RequestEntityTooLarge): error when creating "${big}": Request entity too large: limit is ${MAX_BODY_BYTES}`);
      }
    });
  });

  describe('bodies nested too deeply', () => {
    const LIMIT_MESSAGE = `the request body is nested too deeply: the limit is ${MAX_NESTING_DEPTH} levels of objects and lists`;
    const deepJson = (levels: number) => `{"metadata":{"name":"deep"},"x":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

    it('100000 levels of YAML, again and again, answer 400 naming the limit and the server stays up', async () => {
      const bodies = ['- '.repeat(100_000) + 'x\n', '['.repeat(100_000) + ']'.repeat(100_000), 'a: ' + '{a: '.repeat(100_000) + '1' + '}'.repeat(100_000)];
      for (let round = 0; round < 10; round++) {
        for (const body of bodies) {
          const status = await failure(400, 'POST', CONFIGMAPS, { body, headers: { 'Content-Type': 'application/yaml' } });
          expect(status.message).to.equal(LIMIT_MESSAGE);
        }
      }
      expect((await request('GET', '/healthz')).text).to.equal('ok');
    });

    it('every decoded body: JSON, patches of each type, apply YAML, DeleteOptions', async () => {
      await request('POST', CONFIGMAPS, { body: '{"metadata":{"name":"target"}}', headers: { 'Content-Type': 'application/json' } });
      const deepList = '['.repeat(100_000) + ']'.repeat(100_000);
      const cases: Array<[string, string, string, string]> = [
        ['POST', CONFIGMAPS, 'application/json', deepJson(100_000)],
        ['PUT', `${CONFIGMAPS}/target`, 'application/json', deepJson(MAX_NESTING_DEPTH + 1)],
        ['PATCH', `${CONFIGMAPS}/target`, 'application/merge-patch+json', `{"data":${deepList}}`],
        ['PATCH', `${CONFIGMAPS}/target`, 'application/strategic-merge-patch+json', `{"data":${deepList}}`],
        ['PATCH', `${CONFIGMAPS}/target`, 'application/json-patch+json', `[{"op":"add","path":"/x","value":${deepList}}]`],
        ['PATCH', `${CONFIGMAPS}/target?fieldManager=t`, 'application/apply-patch+yaml', `apiVersion: v1\nkind: ConfigMap\nx:\n${'- '.repeat(100_000)}1\n`],
        ['PATCH', `${CONFIGMAPS}/target?fieldManager=t&fieldValidation=Ignore`, 'application/apply-patch+yaml', `{"x":${deepList}}`],
        ['DELETE', `${CONFIGMAPS}/target`, 'application/json', `{"preconditions":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`],
      ];
      for (const [method, urlPath, type, body] of cases) {
        const status = await failure(400, method, urlPath, { body, headers: { 'Content-Type': type } });
        expect(status.message, `${method} ${type}`).to.equal(LIMIT_MESSAGE);
      }
      // At the limit, the body is read and judged on its merits.
      const atLimit = await failure(400, 'POST', `${CONFIGMAPS}?fieldValidation=Strict`, { body: deepJson(MAX_NESTING_DEPTH), headers: { 'Content-Type': 'application/json' } });
      expect(atLimit.message).to.contain('unknown field "x"');
      const ignored = await request('POST', `${CONFIGMAPS}?fieldValidation=Ignore`, { body: deepJson(MAX_NESTING_DEPTH), headers: { 'Content-Type': 'application/json' } });
      expect(ignored.status, ignored.text).to.equal(201);
    });

    it('kubectl create of a too deep manifest prints the limit', async () => {
      const levels = MAX_NESTING_DEPTH + 10;
      const file = write('deep.json', deepJson(levels).replace('{"metadata"', '{"apiVersion":"v1","kind":"ConfigMap","metadata"').replace('"deep"', '"deep-kubectl"'));
      const r = await kubectl(['create', '-f', file]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain(LIMIT_MESSAGE);
    });
  });

  describe('malformed bodies, paths and targets', () => {
    it('malformed JSON and YAML name the mistake and where, in words of the API', async () => {
      const json = await failure(400, 'POST', CONFIGMAPS, { body: '{"metadata": {"name": "x",}}', headers: { 'Content-Type': 'application/json' } });
      expect(json.message).to.equal("the request body is not valid JSON: invalid character '}' looking for beginning of object key string at line 1, column 27");
      const patch = await failure(400, 'PATCH', `${CONFIGMAPS}/target`, { body: '{"data": nope}', headers: { 'Content-Type': 'application/merge-patch+json' } });
      expect(patch.message).to.equal("the patch is not valid JSON: invalid character 'o' in literal null (expecting 'u') at line 1, column 11");
      const yaml = await failure(400, 'POST', CONFIGMAPS, { body: 'metadata:\n  name: x\n name: y\n', headers: { 'Content-Type': 'application/yaml' } });
      expect(yaml.message).to.equal('the request body is not valid YAML: All mapping items must start at the same column at line 3, column 1');
      const two = await failure(400, 'POST', CONFIGMAPS, { body: 'metadata: {name: a}\n---\nmetadata: {name: b}\n', headers: { 'Content-Type': 'application/yaml' } });
      expect(two.message).to.contain('more than one YAML document');
    });

    it('paths: dot segments and selector characters in a name address nothing else; non-path targets are 400', async () => {
      expect((await failure(400, 'GET', `${CONFIGMAPS}/..`)).message).to.contain('invalid resource name ".."');
      expect((await failure(400, 'GET', `${CONFIGMAPS}/%2e%2e%2fx`)).message).to.contain('invalid resource name "../x"');
      const byName = await request('GET', '/api/v1/watch/namespaces/default/configmaps/a%3Db,c?timeoutSeconds=1');
      expect(byName.status, byName.text).to.equal(200);
      const answer = await rawRequest(`GET https://127.0.0.1:${server.api.port}/api/v1/namespaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
      expect(answer).to.match(/^HTTP\/1\.1 400 /);
      expect(answer).to.contain('is not a path');
    });

    /** Sends `text` over TLS as is; the whole answer. */
    function rawRequest(text: string): Promise<string> {
      return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: server.api.port, ca: server.api.tls.caCert, servername: 'localhost' }, () => socket.end(text));
        let answer = '';
        socket.on('data', (d) => (answer += d));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    }
  });

  describe('a server bug', () => {
    it('is a 500 without the JavaScript message (the log has it)', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bug-'));
      const broken = {
        all: () => [],
        byVersion: () => {
          throw new TypeError("Cannot read properties of undefined (reading 'info')");
        },
      } as unknown as ResourceSet;
      const api = new HttpApi({ resources: broken, certDir: dir, tokens: [TOKEN] });
      try {
        await api.listen('127.0.0.1:0');
        const answer = await new Promise<Answer>((resolve, reject) => {
          https.get({ host: '127.0.0.1', port: api.port, path: CONFIGMAPS, ca: api.tls.caCert, headers: { Authorization: `Bearer ${TOKEN}` }, agent: false }, (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.from(text), text }));
          }).on('error', reject);
        });
        expect(answer.status).to.equal(500);
        expect(JSON.parse(answer.text)).to.include({ reason: 'InternalError', message: UNEXPECTED_ERROR_MESSAGE });
        expect(answer.text).not.to.match(JAVASCRIPT_ERROR_TEXT);
      } finally {
        await api.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
