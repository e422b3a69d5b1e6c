import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeHttpKubeconfig } from './bearer-auth';
import { HttpApi } from './http-api';
import { MAX_BODY_BYTES } from './request-body';
import { httpsRequest } from './test-clients';
import { TestHttpServer, type KubectlRun } from './test-http-server';

/** Raw HTTPS answer. */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('HttpApi: the Kubernetes REST API driven by the real kubectl', function () {
  this.timeout(60_000);
  const TOKEN = 'test-token-0123456789';
  let server: TestHttpServer;
  let api: HttpApi;
  let dir: string;
  let kubeconfig: string;

  /** Runs kubectl against the test server, with `input` on stdin. */
  function kubectl(args: string[], opts: { input?: string; config?: string } = {}): Promise<KubectlRun> {
    return server.kubectl(args, opts);
  }

  /** kubectl that must succeed; its stdout. */
  async function ok(args: string[], input?: string): Promise<string> {
    const r = await kubectl(args, { input });
    expect(r.code, `kubectl ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(0);
    return r.stdout;
  }

  /** A raw HTTPS request to the server (trusting its CA). */
  function request(method: string, urlPath: string, opts: { body?: string | Buffer; headers?: Record<string, string>; token?: string | null } = {}): Promise<Answer> {
    return httpsRequest({ port: api.port, caCert: api.tls.caCert, token: opts.token === null ? null : (opts.token ?? TOKEN) }, method, urlPath, opts);
  }

  function write(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  before(async () => {
    server = await TestHttpServer.start('bosun-http-', TOKEN);
    ({ dir, api, kubeconfig } = server);
  });

  after(async () => {
    await server?.stop();
  });

  it('kubectl version shows the server as Kubernetes 1.32', async () => {
    const out = JSON.parse(await ok(['version', '-o', 'json'])) as { serverVersion: Record<string, string> };
    expect(out.serverVersion.major).to.equal('1');
    expect(out.serverVersion.minor).to.equal('32');
    expect(out.serverVersion.gitVersion).to.equal('v1.32.0-bosun');
  });

  it('kubectl api-resources lists kinds with short names, groups and scope', async () => {
    const out = await ok(['api-resources', '-o', 'wide']);
    expect(out, out).to.match(/^pods\s+po\s+v1\s+true\s+Pod\s+create,delete,deletecollection,get,list,patch,update,watch\s+all/m);
    expect(out).to.match(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/m);
    expect(out).to.match(/^namespaces\s+ns\s+v1\s+false\s+Namespace/m);
    expect(out).to.match(/^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob/m);
    expect(out).to.match(/^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice/m);
    expect(out).to.match(/^ingresses\s+ing\s+networking\.k8s\.io\/v1\s+true\s+Ingress/m);
    expect(out).to.match(/^ingressclasses\s+networking\.k8s\.io\/v1\s+false\s+IngressClass/m);
  });

  it('kubectl create -f makes a Deployment, a Service and a ConfigMap from files', async () => {
    write('deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.25\n        ports:\n        - containerPort: 80\n');
    write('svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n  - port: 80\n    targetPort: 80\n');
    write('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "1"\n');
    const out = await ok(['create', '-f', path.join(dir, 'deploy.yaml'), '-f', path.join(dir, 'svc.yaml'), '-f', path.join(dir, 'cm.yaml')]);
    expect(out).to.contain('deployment.apps/web created');
    expect(out).to.contain('service/web created');
    expect(out).to.contain('configmap/cfg created');
  });

  it('kubectl run, then get pods,deploy -o wide prints the server-side Table columns', async () => {
    expect(await ok(['run', 'nginx1', '--image=nginx:1.25', '--labels=app=n1'])).to.contain('pod/nginx1 created');
    const out = await ok(['get', 'pods,deploy', '-o', 'wide']);
    expect(out).to.match(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    expect(out).to.match(/pod\/nginx1\s+0\/1\s+Pending/);
    expect(out).to.match(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
    expect(out).to.match(/deployment\.apps\/web\s+0\/2\s+0\s+0\s+\S+\s+nginx\s+nginx:1\.25\s+app=web/);
    const narrow = await ok(['get', 'deploy']);
    expect(narrow).not.to.contain('IMAGES');
    expect(await ok(['get', 'po', '-l', 'app=n1', '-o', 'name'])).to.equal('pod/nginx1\n');
  });

  it('kubectl get -o yaml, -o jsonpath, --sort-by and -A', async () => {
    const yaml = await ok(['get', 'deployment', 'web', '-o', 'yaml']);
    expect(yaml).to.match(/^kind: Deployment$/m);
    expect(yaml).to.match(/^ {2}replicas: 2$/m);
    expect(await ok(['get', 'cm', 'cfg', '-o', 'jsonpath={.data.a}'])).to.equal('1');
    expect(await ok(['get', 'pods', '--sort-by=.spec.containers[0].image', '-o', 'name'])).to.equal('pod/nginx1\n');
    expect(await ok(['get', 'pods', '-A'])).to.match(/^default\s+nginx1\s+/m);
  });

  it('kubectl get -w prints a change made while it watches', async () => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'kube-cache'), 'get', 'configmaps', '-w'], { env: { ...process.env, HOME: dir } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const until = async (pred: () => boolean, what: string) => {
        const deadline = Date.now() + 15_000;
        while (!pred()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until(() => /^cfg\s+1\s+/m.test(out), 'the list');
      await ok(['create', 'configmap', 'watched', '--from-literal=x=1', '--from-literal=y=2']);
      await until(() => /^watched\s+2\s+/m.test(out), 'the ADDED row');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('kubectl label, annotate and scale (merge patches and the scale subresource)', async () => {
    expect(await ok(['label', 'deploy', 'web', 'tier=frontend'])).to.contain('deployment.apps/web labeled');
    expect(await ok(['annotate', 'deploy', 'web', 'note=hi'])).to.contain('deployment.apps/web annotated');
    expect(await ok(['label', 'deploy', 'web', 'tier-'])).to.contain('deployment.apps/web unlabeled');
    expect(await ok(['scale', 'deployment', 'web', '--replicas=3'])).to.contain('deployment.apps/web scaled');
    expect(await ok(['scale', 'deployment', 'web', '--current-replicas=3', '--replicas=4'])).to.contain('deployment.apps/web scaled');
    const d = JSON.parse(await ok(['get', 'deploy', 'web', '-o', 'json'])) as { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { replicas: number } };
    expect(d.spec.replicas).to.equal(4);
    expect(d.metadata.labels).to.deep.equal({ app: 'web' });
    expect(d.metadata.annotations.note).to.equal('hi');
    const wrong = await kubectl(['scale', 'deployment', 'web', '--current-replicas=9', '--replicas=5']);
    expect(wrong.code).to.equal(1);
  });

  it('kubectl patch with --type merge, json and strategic', async () => {
    await ok(['patch', 'cm', 'cfg', '--type', 'merge', '-p', '{"data":{"b":"2"}}']);
    await ok(['patch', 'cm', 'cfg', '--type', 'json', '-p', '[{"op":"remove","path":"/data/a"}]']);
    await ok(['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}']);
    expect(await ok(['get', 'cm', 'cfg', '-o', 'jsonpath={.data}'])).to.equal('{"b":"2"}');
    const d = JSON.parse(await ok(['get', 'deploy', 'web', '-o', 'json'])) as { spec: { template: { spec: { containers: { name: string; image: string; ports: unknown[] }[] } } } };
    expect(d.spec.template.spec.containers).to.have.length(1);
    expect(d.spec.template.spec.containers[0]!.image).to.equal('nginx:1.27');
    expect(d.spec.template.spec.containers[0]!.ports).to.have.length(1);
  });

  it('kubectl create <generator> sends protobuf bodies the server decodes', async () => {
    expect(await ok(['create', 'namespace', 'team-a'])).to.contain('namespace/team-a created');
    expect(await ok(['create', 'deployment', 'api', '--image=nginx:1.25', '--replicas=2', '-n', 'team-a'])).to.contain('deployment.apps/api created');
    expect(await ok(['create', 'configmap', 'settings', '--from-literal=k=v', '-n', 'team-a'])).to.contain('configmap/settings created');
    expect(await ok(['create', 'secret', 'generic', 'pw', '--from-literal=password=s3cret', '-n', 'team-a'])).to.contain('secret/pw created');
    expect(await ok(['create', 'job', 'once', '--image=busybox', '-n', 'team-a', '--', 'true'])).to.contain('job.batch/once created');
    const secret = JSON.parse(await ok(['get', 'secret', 'pw', '-n', 'team-a', '-o', 'json'])) as { data: Record<string, string> };
    expect(Buffer.from(secret.data.password!, 'base64').toString()).to.equal('s3cret');
    expect(await ok(['get', 'deploy', 'api', '-n', 'team-a', '-o', 'jsonpath={.spec.replicas}'])).to.equal('2');
  });

  it('kubectl apply -f creates, configures, then leaves an object unchanged (client-side apply)', async () => {
    const file = write('app.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  labels: {app: app}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: app}\n  template:\n    metadata:\n      labels: {app: app}\n    spec:\n      containers:\n      - name: main\n        image: nginx:1.25\n');
    expect(await ok(['apply', '-f', file])).to.contain('deployment.apps/app created');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('nginx:1.25', 'nginx:1.27'));
    expect(await ok(['apply', '-f', file])).to.contain('deployment.apps/app configured');
    expect(await ok(['apply', '-f', file])).to.contain('deployment.apps/app unchanged');
    expect(await ok(['get', 'deploy', 'app', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).to.equal('nginx:1.27');
  });

  it('kubectl describe and get all read what they need', async () => {
    const out = await ok(['describe', 'deployment', 'app']);
    expect(out).to.match(/^Name:\s+app$/m);
    expect(out).to.match(/^Namespace:\s+default$/m);
    expect(out).to.match(/Image:\s+nginx:1\.27/);
    const all = await ok(['get', 'all']);
    expect(all).to.match(/^pod\/nginx1\s/m);
    expect(all).to.match(/^deployment\.apps\/app\s/m);
  });

  it('kubectl exec of a pod on no node gets a clear refusal instead of a dropped connection', async () => {
    const exec = await kubectl(['exec', 'nginx1', '--', 'ls']);
    expect(exec.code).to.equal(1);
    expect(exec.stderr).to.contain('pod nginx1 does not have a host assigned');
  });

  it('kubectl shows API errors as Kubernetes prints them', async () => {
    const missing = await kubectl(['get', 'deploy', 'nope']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('Error from server (NotFound): deployments.apps "nope" not found');

    const again = await kubectl(['create', '-f', path.join(dir, 'cm.yaml')]);
    expect(again.stderr).to.contain('Error from server (AlreadyExists): error when creating');
    expect(again.stderr).to.contain('configmaps "cfg" already exists');

    write('bad.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: -1\n  selector:\n    matchLabels: {app: bad}\n  template:\n    metadata:\n      labels: {app: bad}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n');
    const invalid = await kubectl(['create', '-f', path.join(dir, 'bad.yaml')]);
    expect(invalid.code).to.equal(1);
    expect(invalid.stderr).to.contain('The Deployment "bad" is invalid: spec.replicas: Invalid value: -1');

    write('unknown.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: odd\ndata: {a: "1"}\nspecial: true\n');
    const strict = await kubectl(['create', '-f', path.join(dir, 'unknown.yaml')]);
    expect(strict.code).to.equal(1);
    expect(strict.stderr).to.contain('Error from server (BadRequest): error when creating');
    expect(strict.stderr).to.contain('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "special"');

    const logs = await kubectl(['logs', 'nginx1', '-c', 'nope']);
    expect(logs.code).to.equal(1);
    expect(logs.stderr).to.contain('container nope is not valid for pod nginx1');
    const unscheduled = await kubectl(['logs', 'nginx1']);
    expect([unscheduled.code, unscheduled.stdout], 'a pod on no node has an empty log').to.deep.equal([0, '']);
  });

  it('kubectl delete by name, with -f, and with -l', async () => {
    expect(await ok(['delete', 'configmap', 'cfg'])).to.contain('configmap "cfg" deleted');
    expect(await ok(['delete', '-f', path.join(dir, 'svc.yaml')])).to.contain('service "web" deleted');
    expect(await ok(['delete', 'deploy', '-l', 'app=web'])).to.contain('deployment.apps "web" deleted');
    expect(await ok(['delete', 'pod', 'nginx1'])).to.contain('pod "nginx1" deleted');
    const gone = await kubectl(['get', 'deploy', 'web']);
    expect(gone.stderr).to.contain('deployments.apps "web" not found');
  });

  it('kubectl without a valid token is told to log in', async () => {
    const bad = path.join(dir, 'bad-kubeconfig');
    writeHttpKubeconfig(bad, { server: api.url, caCert: api.tls.caCert, token: 'wrong' });
    const r = await kubectl(['get', 'pods'], { config: bad });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('You must be logged in to the server');
  });

  describe('raw requests', () => {
    it('answers 401 Status without a token, but serves /version and health checks', async () => {
      const r = await request('GET', '/api/v1/pods', { token: null });
      expect(r.status).to.equal(401);
      expect(JSON.parse(r.body)).to.include({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      expect((await request('GET', '/healthz', { token: null })).body).to.equal('ok');
      expect((await request('GET', '/readyz', { token: null })).status).to.equal(200);
      expect(JSON.parse((await request('GET', '/version', { token: null })).body).minor).to.equal('32');
    });

    it('answers unknown paths 404 and wrong methods 405, as Status objects', async () => {
      for (const p of ['/nope', '/api/v2', '/apis/nope.io/v1', '/api/v1/foos', '/api/v1/namespaces/default/pods/a/b/c', '/apis/apps/v1/namespaces']) {
        const r = await request('GET', p);
        expect(r.status, p).to.equal(404);
        expect(JSON.parse(r.body)).to.include({ kind: 'Status', reason: 'NotFound' });
      }
      const m = await request('POST', '/api/v1/namespaces/default/pods/x', { body: '{}', headers: { 'Content-Type': 'application/json' } });
      expect(m.status).to.equal(405);
      expect(JSON.parse(m.body).reason).to.equal('MethodNotAllowed');
    });

    it('answers malformed and oversized bodies with 400, 413 and 415 and keeps serving', async () => {
      const cms = '/api/v1/namespaces/default/configmaps';
      const cases: [string | Buffer, string, number][] = [
        ['{"metadata":', 'application/json', 400],
        ['[1,2]', 'application/json', 400],
        ['null', 'application/json', 400],
        ['', 'application/json', 400],
        [Buffer.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0xff, 0x01]), 'application/vnd.kubernetes.protobuf', 400],
        [Buffer.from('garbage'), 'application/vnd.kubernetes.protobuf', 400],
        [': : :\n\t- x', 'application/yaml', 400],
        ['<xml/>', 'application/xml', 415],
        ['{"metadata":{"name":"x"}}', 'application/json; charset=utf-8', 201],
      ];
      for (const [body, type, code] of cases) {
        const r = await request('POST', cms, { body, headers: { 'Content-Type': type } });
        expect(r.status, `${type} ${String(body)}: ${r.body}`).to.equal(code);
        expect(JSON.parse(r.body).kind).to.equal(code === 201 ? 'ConfigMap' : 'Status');
      }
      const big = await request('POST', cms, { body: Buffer.alloc(MAX_BODY_BYTES + 10, 0x20), headers: { 'Content-Type': 'application/json' } });
      expect(big.status).to.equal(413);
      const patch = await request('PATCH', `${cms}/x`, { body: '{}', headers: { 'Content-Type': 'application/xml' } });
      expect(patch.status).to.equal(415);
      expect(JSON.parse(patch.body).message).to.contain('application/merge-patch+json');
      // An apply patch may be YAML: field validation reads it as such.
      const applyYaml = (extra: string) => ({ body: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: v\n${extra}`, headers: { 'Content-Type': 'application/apply-patch+yaml' } });
      const applied = await request('PATCH', `${cms}/x?fieldManager=curl&fieldValidation=Strict`, applyYaml(''));
      expect(applied.status, applied.body).to.equal(200);
      expect(JSON.parse(applied.body).data.k).to.equal('v');
      const strict = await request('PATCH', `${cms}/x?fieldManager=curl&fieldValidation=Strict`, applyYaml('bogus: 1\n'));
      expect(strict.status, strict.body).to.equal(400);
      expect(JSON.parse(strict.body).message).to.contain('unknown field "bogus"');
      expect((await request('GET', `${cms}/x`)).status).to.equal(200);
    });

    it('field validation: Warn answers a Warning header, Strict a 400 naming duplicates', async () => {
      const cms = '/api/v1/namespaces/default/configmaps';
      const warn = await request('POST', `${cms}?fieldValidation=Warn`, { body: '{"metadata":{"name":"w1"},"extra":1}', headers: { 'Content-Type': 'application/json' } });
      expect(warn.status).to.equal(201);
      expect(String(warn.headers.warning)).to.contain('unknown field \\"extra\\"');
      const dup = await request('POST', `${cms}?fieldValidation=Strict`, { body: '{"metadata":{"name":"w2","name":"w3"}}', headers: { 'Content-Type': 'application/json' } });
      expect(dup.status).to.equal(400);
      expect(JSON.parse(dup.body).message).to.contain('duplicate field "metadata.name"');
      const dry = await request('POST', `${cms}?dryRun=All`, { body: '{"metadata":{"name":"dry"}}', headers: { 'Content-Type': 'application/json' } });
      expect(dry.status).to.equal(201);
      expect((await request('GET', `${cms}/dry`)).status).to.equal(404);
    });

    it('watch: resumes after a resourceVersion, honours timeoutSeconds, serves legacy /watch/ paths as Tables', async () => {
      const cms = '/api/v1/namespaces/default/configmaps';
      const list = JSON.parse((await request('GET', cms)).body) as { kind: string; metadata: { resourceVersion: string } };
      expect(list.kind).to.equal('ConfigMapList');
      await request('POST', cms, { body: '{"metadata":{"name":"after"}}', headers: { 'Content-Type': 'application/json' } });
      const w = await request('GET', `${cms}?watch=true&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=1`);
      const events = w.body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string; metadata: { name: string } } });
      expect(events.map((e) => `${e.type} ${e.object.kind} ${e.object.metadata.name}`)).to.deep.equal(['ADDED ConfigMap after']);

      const table = await request('GET', `/api/v1/watch/namespaces/default/configmaps/after?timeoutSeconds=1`, {
        headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
      });
      const [first] = table.body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string; rows: { cells: unknown[] }[] } });
      expect(first!.type).to.equal('ADDED');
      expect(first!.object.kind).to.equal('Table');
      expect(first!.object.rows[0]!.cells[0]).to.equal('after');
    });

    it('deletecollection deletes what the selector matches and returns the list', async () => {
      const cms = '/api/v1/namespaces/default/configmaps';
      for (const n of ['dc1', 'dc2']) {
        await request('POST', cms, { body: JSON.stringify({ metadata: { name: n, labels: { batch: 'x' } } }), headers: { 'Content-Type': 'application/json' } });
      }
      const r = await request('DELETE', `${cms}?labelSelector=batch%3Dx`);
      expect(r.status).to.equal(200);
      const body = JSON.parse(r.body) as { kind: string; items: { metadata: { name: string } }[] };
      expect(body.kind).to.equal('ConfigMapList');
      expect(body.items.map((i) => i.metadata.name).sort()).to.deep.equal(['dc1', 'dc2']);
      expect((await request('GET', `${cms}/dc1`)).status).to.equal(404);
    });
  });
});
