import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import * as path from 'node:path';
import { runCli } from '../../cli/apiserver-commands';
import { Buffered } from '../../cli/testing/cli-harness';
import type { ApiClient, ResourceClient } from '../../lib/client/api-client';
import { bearerTokenInterceptor, GrpcApiClient } from '../../lib/client/grpc-api-client';
import { writeKubeconfig } from '../../lib/client/kubeconfig';
import { ApiError } from '../../lib/api/errors';
import { clientConstructor } from '../../lib/api/grpc-services';
import { apiErrorFromGrpc } from '../../lib/api/grpc-status';
import type { KubeObject, ResourceInfo } from '../../lib/api/object';
import { APPLY_PATCH_TYPE, MERGE_PATCH_TYPE } from '../../lib/api/patch';
import type { Scale } from '../../lib/api/requests';
import { reflect, reflectionClient } from '../../e2e/support/grpc-reflection';
import { deploymentStrategy } from './kinds/apps';
import { configMapStrategy, namespaceStrategy, podStrategy } from './kinds/core';
import { warningsOf as httpWarnings } from './http/test-clients';
import { apiError } from './registry/test-support';
import { isConnectable } from './rest/resource-rest';
import { TwoDoorApiServer } from './test-api-server';

/** `client` with every ResourceClient call recorded in `calls` as `resource.method`. */
function recording(client: ApiClient, calls: string[]): ApiClient {
  return {
    discover: () => client.discover(),
    close: () => client.close(),
    resource: <T extends KubeObject>(info: ResourceInfo): ResourceClient<T> => {
      const inner = client.resource<T>(info);
      return new Proxy(inner, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            calls.push(`${info.resource}.${String(prop)}`);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    },
  };
}

/** A Kubernetes Status as the HTTP door answers it. */
interface StatusBody {
  code: number;
  reason: string;
  message: string;
}

/**
 * "One rule, both doors" (issue 12): every API rule lives in the shared rest layer, so a
 * client on gRPC (the controllers) gets what kubectl gets over HTTPS. Each rule is exercised
 * through both doors of one real apiserver on a real store, and the outcomes are compared.
 */
describe('one rule, both doors (a real apiserver: gRPC and HTTPS)', function () {
  this.timeout(90_000);
  let t: TwoDoorApiServer;
  const NS = 'doors';
  const stubs = new Map<string, grpc.Client & Record<string, Function>>();

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-doors-');
    await t.grpc.resource(namespaceStrategy.info).create(undefined, { metadata: { name: NS } });
  });

  after(async () => {
    for (const s of stubs.values()) s.close();
    await t?.stop();
  });

  /** A raw unary call on a kind's generated gRPC client (for methods and fields the typed client does not expose). */
  function rawCall(info: ResourceInfo, method: string, req: unknown): Promise<any> {
    let stub = stubs.get(info.resource);
    if (!stub) {
      const Ctor = clientConstructor(info);
      stub = new Ctor(t.server.grpcAddress, grpc.credentials.createInsecure(), { interceptors: [bearerTokenInterceptor(t.token)] }) as unknown as grpc.Client & Record<string, Function>;
      stubs.set(info.resource, stub);
    }
    return new Promise((resolve, reject) =>
      stub[method]!.call(stub, req, (err: grpc.ServiceError | null, res: unknown) => (err ? reject(apiErrorFromGrpc(err)) : resolve(res))),
    );
  }

  /** The Status of a failed HTTPS answer. */
  function httpStatus(res: { status: number; body: string }): StatusBody {
    expect(res.status, res.body).to.be.greaterThanOrEqual(400);
    return JSON.parse(res.body) as StatusBody;
  }

  /** The same failure from both doors: code, reason and message. */
  function expectSameFailure(http: StatusBody, g: ApiError): void {
    expect({ code: g.code, reason: g.reason, message: g.message }).to.deep.equal({ code: http.code, reason: http.reason, message: http.message });
  }

  const cmPath = (name = '') => `/api/v1/namespaces/${NS}/configmaps${name ? `/${name}` : ''}`;
  const configMaps = () => t.grpc.resource(configMapStrategy.info);

  async function makeConfigMaps(names: readonly string[], labels: Record<string, string>): Promise<void> {
    for (const name of names) await configMaps().create(NS, { metadata: { name, labels } });
  }

  async function configMapNames(selector: string): Promise<string[]> {
    return (await configMaps().list(NS, { labelSelector: selector })).items.map((o) => o.metadata.name ?? '').sort();
  }

  describe('deletecollection', () => {
    it('deletes what the label selector matches and answers the deleted list, through both doors', async () => {
      await makeConfigMaps(['h1', 'h2'], { door: 'http', sel: 'yes' });
      await makeConfigMaps(['h3'], { door: 'http', sel: 'no' });
      await makeConfigMaps(['g1', 'g2'], { door: 'grpc', sel: 'yes' });
      await makeConfigMaps(['g3'], { door: 'grpc', sel: 'no' });

      const res = await t.request('DELETE', `${cmPath()}?labelSelector=${encodeURIComponent('door=http,sel=yes')}`);
      expect(res.status, res.body).to.equal(200);
      const viaHttp = JSON.parse(res.body) as { kind: string; apiVersion: string; items: KubeObject[] };
      const viaGrpc = await configMaps().deleteCollection(NS, { labelSelector: 'door=grpc,sel=yes' }, {});

      for (const list of [viaHttp, viaGrpc]) {
        expect(list.kind).to.equal('ConfigMapList');
        expect(list.apiVersion).to.equal('v1');
        expect(list.items.every((o) => o.kind === 'ConfigMap')).to.equal(true);
      }
      expect(viaHttp.items.map((o) => o.metadata.name).sort()).to.deep.equal(['h1', 'h2']);
      expect(viaGrpc.items.map((o) => o.metadata.name).sort()).to.deep.equal(['g1', 'g2']);
      expect(await configMapNames('door in (http,grpc)')).to.deep.equal(['g3', 'h3']);
    });

    it('applies the propagation policy to every object, the same through both doors', async () => {
      await makeConfigMaps(['fh'], { prop: 'http' });
      await makeConfigMaps(['fg'], { prop: 'grpc' });
      const res = await t.request('DELETE', `${cmPath()}?labelSelector=prop%3Dhttp`, { body: { propagationPolicy: 'Foreground' } });
      expect(res.status, res.body).to.equal(200);
      const [viaHttp] = (JSON.parse(res.body) as { items: KubeObject[] }).items;
      const [viaGrpc] = (await configMaps().deleteCollection(NS, { labelSelector: 'prop=grpc' }, { propagationPolicy: 'Foreground' })).items;
      // Foreground: marked for deletion and held by the foregroundDeletion finalizer (the garbage collector's to remove).
      for (const o of [viaHttp!, viaGrpc!]) {
        expect(o.metadata.finalizers).to.deep.equal(['foregroundDeletion']);
        expect(o.metadata.deletionTimestamp).to.be.a('string');
      }
      const stored = await configMaps().get(NS, 'fg');
      expect(stored.metadata.finalizers).to.deep.equal(['foregroundDeletion']);

      // A bad policy is the same 400 from both.
      const bad = await t.request('DELETE', `${cmPath()}?labelSelector=prop%3Dnone`, { body: { propagationPolicy: 'Sideways' } });
      expectSameFailure(httpStatus(bad), await apiError(configMaps().deleteCollection(NS, { labelSelector: 'prop=none' }, { propagationPolicy: 'Sideways' })));
    });

    it('needs a namespace for a namespaced kind (gRPC 400; the cluster-wide HTTP path has no DELETE)', async () => {
      const err = await apiError(configMaps().deleteCollection(undefined, { labelSelector: 'x=y' }));
      expect(err.code).to.equal(400);
      expect(err.message).to.equal('a namespace is required for configmaps');
      expect((await t.request('DELETE', '/api/v1/configmaps')).status).to.equal(405);
    });

    it('`bosun delete -l` is one deletecollection over gRPC and prints what `kubectl delete -l` prints', async () => {
      await makeConfigMaps(['cli-a', 'cli-b'], { cli: 'bosun' });
      await makeConfigMaps(['cli-a', 'cli-b'].map((n) => `${n}-k`), { cli: 'kubectl' });
      const calls: string[] = [];
      const kubeconfig = path.join(t.dir, 'bosun-kubeconfig');
      writeKubeconfig(kubeconfig, { clusterName: 'doors', grpcEndpoints: [t.server.grpcAddress], namespace: NS });
      const run = async (argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
        const stdout = new Buffered();
        const stderr = new Buffered();
        const code = await runCli(argv, { stdout, stderr, env: { BOSUN_KUBECONFIG: kubeconfig, HOME: t.dir }, cwd: t.dir, clientFactory: (conn) => recording(new GrpcApiClient({ endpoints: conn.endpoints, token: t.token }), calls) });
        return { code, stdout: stdout.text, stderr: stderr.text };
      };
      const bosun = await run(['delete', 'configmaps', '-l', 'cli=bosun']);
      const kubectl = await t.kubectl(['delete', 'configmaps', '-l', 'cli=kubectl', '-n', NS]);
      expect(bosun.code, bosun.stderr).to.equal(0);
      expect(kubectl.code, kubectl.stderr).to.equal(0);
      expect(bosun.stdout).to.equal(kubectl.stdout.replace(/-k"/g, '"'));
      expect(calls).to.include('configmaps.deleteCollection');
      expect(calls).to.not.include('configmaps.delete');
      expect(await configMapNames('cli')).to.deep.equal([]);
      const none = await run(['delete', 'configmaps', '-l', 'cli=bosun']);
      expect(none.stderr).to.equal(`No resources found in ${NS} namespace.\n`);
    });

    it('is listed by server reflection on every kind', async () => {
      const client = reflectionClient('v1', t.server.grpcAddress);
      try {
        for (const symbol of ['bosun.api.core.v1.ConfigMaps', 'bosun.api.apps.v1.Deployments', 'bosun.api.rbac.v1.ClusterRoles']) {
          const file = await reflect(client, { file_containing_symbol: symbol });
          const text = Buffer.concat(file.file_descriptor_response.file_descriptor_proto as Buffer[]).toString('latin1');
          expect(text).to.contain('DeleteCollection');
        }
        const requests = await reflect(client, { file_containing_symbol: 'bosun.api.DeleteCollectionRequest' });
        expect(Buffer.concat(requests.file_descriptor_response.file_descriptor_proto as Buffer[]).toString('latin1')).to.contain('DeleteCollectionRequest');
      } finally {
        client.close();
      }
    });
  });

  describe('DeleteOptions are read by one function', () => {
    it('a dryRun value other than "All" is the same 400 through both doors', async () => {
      await makeConfigMaps(['dry'], {});
      const http = await t.request('DELETE', cmPath('dry'), { body: { dryRun: ['Sometimes'] } });
      const viaGrpc = await apiError(rawCall(configMapStrategy.info, 'delete', { namespace: NS, name: 'dry', options: { dryRun: ['Sometimes'] } }));
      expectSameFailure(httpStatus(http), viaGrpc);
      expect(viaGrpc.message).to.equal('dryRun: Unsupported value: "Sometimes": supported values: "All"');
      expect((await configMaps().get(NS, 'dry')).metadata.name).to.equal('dry');
    });
  });

  describe('field validation of patches', () => {
    /** A raw gRPC patch of a ConfigMap: the answer and its `warning` trailers. */
    function grpcPatch(name: string, patch: unknown, fieldValidation: string): Promise<{ error?: ApiError; warnings: string[] }> {
      const stub = new (clientConstructor(configMapStrategy.info))(t.server.grpcAddress, grpc.credentials.createInsecure(), { interceptors: [bearerTokenInterceptor(t.token)] }) as unknown as Record<string, Function> & grpc.Client;
      return new Promise((resolve) => {
        let error: ApiError | undefined;
        const call = stub.patch!.call(stub, { namespace: NS, name, patchType: MERGE_PATCH_TYPE, patch: Buffer.from(JSON.stringify(patch)), fieldValidation }, (err: grpc.ServiceError | null) => {
          if (err) error = apiErrorFromGrpc(err);
        }) as grpc.ClientUnaryCall;
        call.on('status', (s: grpc.StatusObject) => {
          stub.close();
          resolve({ error, warnings: s.metadata.get('warning').map(String) });
        });
      });
    }
    const httpPatch = (name: string, patch: unknown, query: string) =>
      t.request('PATCH', `${cmPath(name)}${query}`, { body: patch, headers: { 'Content-Type': MERGE_PATCH_TYPE } });

    it('an unknown field is a warning by default and a 400 with Strict, the same through both doors', async () => {
      await makeConfigMaps(['fv'], {});
      const patch = { data: { a: 'b' }, bogus: 1 };
      const http = await httpPatch('fv', patch, '');
      expect(http.status, http.body).to.equal(200);
      const viaGrpc = await grpcPatch('fv', patch, '');
      expect(viaGrpc.error).to.equal(undefined);
      expect(viaGrpc.warnings).to.deep.equal(['unknown field "bogus"']);
      expect(httpWarnings(http)).to.deep.equal(viaGrpc.warnings);

      const strict = httpStatus(await httpPatch('fv', patch, '?fieldValidation=Strict'));
      const strictGrpc = await grpcPatch('fv', patch, 'Strict');
      expectSameFailure(strict, strictGrpc.error!);
      expect(strict.message).to.equal('strict decoding error: unknown field "bogus"');
      expect((await grpcPatch('fv', patch, 'Ignore')).warnings).to.deep.equal([]);
      expectSameFailure(httpStatus(await httpPatch('fv', patch, '?fieldValidation=Sometimes')), (await grpcPatch('fv', patch, 'Sometimes')).error!);
    });
  });

  describe('create: the body namespace must agree with the request', () => {
    it('is the same 400 through both doors', async () => {
      const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'elsewhere', namespace: 'default' } };
      const http = await t.request('POST', cmPath(), { body });
      const viaGrpc = await apiError(configMaps().create(NS, body));
      expectSameFailure(httpStatus(http), viaGrpc);
      expect(viaGrpc.message).to.equal('the namespace of the provided object does not match the namespace sent on the request');
    });
  });

  describe('patch of the scale subresource', () => {
    const deployments = () => t.grpc.resource(deploymentStrategy.info);
    const scalePath = (name: string) => `/apis/apps/v1/namespaces/${NS}/deployments/${name}/scale`;
    const deployment = (name: string): KubeObject => ({
      metadata: { name },
      spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const httpScalePatch = (name: string, patch: unknown) => t.request('PATCH', scalePath(name), { body: patch, headers: { 'Content-Type': MERGE_PATCH_TYPE } });
    const grpcScalePatch = (name: string, patch: unknown): Promise<Scale> =>
      rawCall(deploymentStrategy.info, 'patchScale', { namespace: NS, name, patchType: MERGE_PATCH_TYPE, patch: Buffer.from(JSON.stringify(patch)) });

    before(async () => {
      for (const name of ['scale-http', 'scale-grpc']) await deployments().create(NS, deployment(name));
    });

    it('sets spec.replicas and answers a Scale through both doors', async () => {
      const res = await httpScalePatch('scale-http', { spec: { replicas: 3 } });
      expect(res.status, res.body).to.equal(200);
      const viaHttp = JSON.parse(res.body) as Scale;
      const viaGrpc = await grpcScalePatch('scale-grpc', { spec: { replicas: 3 } });
      expect(viaHttp.kind).to.equal('Scale');
      expect(viaHttp.spec?.replicas).to.equal(3);
      expect(viaGrpc.spec?.replicas).to.equal(3);
      expect(viaGrpc.status?.selector).to.equal(viaHttp.status?.selector?.replace('scale-http', 'scale-grpc'));
      for (const name of ['scale-http', 'scale-grpc']) expect((await deployments().get(NS, name)).spec).to.have.property('replicas', 3);
    });

    it('retries a lost write race: concurrent patches all succeed through both doors', async () => {
      const CONCURRENT = 4;
      const httpAnswers = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => httpScalePatch('scale-http', { spec: { replicas: 10 + i } })));
      expect(httpAnswers.map((r) => r.status)).to.deep.equal(Array(CONCURRENT).fill(200));
      // Promise.all rejects if any call lost its race for good (a 409 through to the client).
      const grpcAnswers = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => grpcScalePatch('scale-grpc', { spec: { replicas: 10 + i } })));
      expect(grpcAnswers.map((s) => s.spec?.replicas).sort()).to.deep.equal([10, 11, 12, 13]);
    });

    it('a resourceVersion in the patch is a precondition: the same 409 through both doors', async () => {
      const http = httpStatus(await httpScalePatch('scale-http', { metadata: { resourceVersion: '1' }, spec: { replicas: 2 } }));
      const viaGrpc = await apiError(grpcScalePatch('scale-http', { metadata: { resourceVersion: '1' }, spec: { replicas: 2 } }));
      expectSameFailure(http, viaGrpc);
      expect(http.code).to.equal(409);
    });
  });

  describe('server-side apply with fieldManager and force', () => {
    const applied = (name: string, value: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: value } });
    const httpApply = (name: string, value: string, query: string) =>
      t.request('PATCH', `${cmPath(name)}?${query}`, { body: applied(name, value), headers: { 'Content-Type': APPLY_PATCH_TYPE } });
    const grpcApply = (name: string, value: string, opts: { fieldManager?: string; force?: boolean }) => configMaps().patch(NS, name, APPLY_PATCH_TYPE, applied(name, value), opts);

    it('creates, then answers 409 with the conflict for another manager, and takes over with force: the same through both doors', async () => {
      const created = await httpApply('ssa', 'one', 'fieldManager=alice');
      expect(created.status, created.body).to.be.oneOf([200, 201]);
      await grpcApply('ssa', 'one', { fieldManager: 'alice' }); // the same configuration again: no change, no conflict

      const http = httpStatus(await httpApply('ssa', 'two', 'fieldManager=bob'));
      const viaGrpc = await apiError(grpcApply('ssa', 'two', { fieldManager: 'bob' }));
      expect(http.code).to.equal(409);
      expect(http.message).to.equal('Apply failed with 1 conflict: conflict with "alice": .data.k');
      expectSameFailure(http, viaGrpc);

      const forced = await grpcApply('ssa', 'two', { fieldManager: 'bob', force: true });
      expect(forced.data).to.deep.equal({ k: 'two' });
      const managers = ((forced.metadata.managedFields ?? []) as { manager?: string; operation?: string }[]).map((m) => `${m.manager}/${m.operation}`);
      expect(managers).to.include('bob/Apply');
      // Alice lost the field: her apply of the old value now conflicts with bob, over HTTP too.
      const back = httpStatus(await httpApply('ssa', 'one', 'fieldManager=alice'));
      expect(back.message).to.equal('Apply failed with 1 conflict: conflict with "bob": .data.k');
      const res = await httpApply('ssa', 'one', 'fieldManager=alice&force=true');
      expect(res.status, res.body).to.equal(200);
    });

    it('needs a fieldManager: the same 400 through both doors', async () => {
      const http = httpStatus(await httpApply('ssa-nomgr', 'x', ''));
      expectSameFailure(http, await apiError(grpcApply('ssa-nomgr', 'x', {})));
      expect(http.code).to.equal(400);
    });

    it('force with a non-apply patch is the same 400 through both doors', async () => {
      await makeConfigMaps(['merge-force'], {});
      const http = httpStatus(await t.request('PATCH', `${cmPath('merge-force')}?force=true`, { body: { data: { a: 'b' } }, headers: { 'Content-Type': MERGE_PATCH_TYPE } }));
      expectSameFailure(http, await apiError(configMaps().patch(NS, 'merge-force', MERGE_PATCH_TYPE, '{"data":{"a":"b"}}', { force: true })));
    });

    it('kubectl apply --server-side meets the conflict a gRPC applier made, and --force-conflicts takes over', async () => {
      await grpcApply('ssa-kubectl', 'controller', { fieldManager: 'controller' });
      const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-kubectl\n  namespace: ${NS}\ndata:\n  k: human\n`;
      const refused = await t.kubectl(['apply', '--server-side', '-f', '-'], manifest);
      expect(refused.code).to.not.equal(0);
      expect(refused.stderr).to.contain('conflict with "controller"');
      const forced = await t.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], manifest);
      expect(forced.code, forced.stderr).to.equal(0);
      expect((await configMaps().get(NS, 'ssa-kubectl')).data).to.deep.equal({ k: 'human' });
    });
  });

  describe('pods and namespaces', () => {
    const pods = () => t.grpc.resource(podStrategy.info);
    const pod = (name: string): KubeObject => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

    it('a completed pod delete answers the pod, through both doors', async () => {
      for (const name of ['del-http', 'del-grpc']) await pods().create(NS, pod(name));
      const res = await t.request('DELETE', `/api/v1/namespaces/${NS}/pods/del-http`, { body: { gracePeriodSeconds: 0 } });
      expect(res.status, res.body).to.equal(200);
      const viaHttp = JSON.parse(res.body) as KubeObject;
      const viaGrpc = await pods().delete(NS, 'del-grpc', { gracePeriodSeconds: 0 });
      expect(viaGrpc.deleted).to.equal(true);
      expect([viaHttp.kind, viaHttp.metadata.name]).to.deep.equal(['Pod', 'del-http']);
      expect([viaGrpc.object.kind, viaGrpc.object.metadata.name]).to.deep.equal(['Pod', 'del-grpc']);
      // A ConfigMap's completed delete is a Status over HTTP.
      await makeConfigMaps(['status-answer'], {});
      expect((JSON.parse((await t.request('DELETE', cmPath('status-answer'))).body) as { kind: string }).kind).to.equal('Status');
    });

    it('the streaming pod subresources are a rule of the pod registry: NotFound first, then 400 for a pod on no node', async () => {
      const rest = t.server.resources.byResource('', 'pods')!;
      expect(isConnectable(rest, 'log')).to.equal(true);
      expect(isConnectable(t.server.resources.byResource('', 'configmaps')!, 'log')).to.equal(false);
      await pods().create(NS, pod('streams'));
      const viaRest = await apiError(isConnectable(rest, 'exec') ? rest.connect(NS, 'streams', 'exec', new URLSearchParams()) : Promise.resolve());
      const http = httpStatus(await t.request('GET', `/api/v1/namespaces/${NS}/pods/streams/exec`));
      expectSameFailure(http, viaRest);
      expect(http.message).to.equal('pod streams does not have a host assigned');
      const log = await t.request('GET', `/api/v1/namespaces/${NS}/pods/streams/log`);
      expect([log.status, log.body], 'the log of a pod on no node is empty').to.deep.equal([200, '']);
      expect(httpStatus(await t.request('GET', `/api/v1/namespaces/${NS}/pods/missing/exec`)).code).to.equal(404);
    });
  });
});
