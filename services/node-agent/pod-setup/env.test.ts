import { expect } from 'chai';
import type { Service, ServicePort } from '../../../lib/api/types';
import { ContainerConfigError } from './pod-setup';
import { serviceEnvVars } from './service-env';
import { FACTS, makePod, makeSetup } from './test-fixtures';

describe('pod setup: container environment', () => {
  let t: ReturnType<typeof makeSetup>;
  beforeEach(() => {
    t = makeSetup();
  });
  afterEach(() => t.cleanup());

  const envOf = async (container: Record<string, unknown>, spec: Record<string, unknown> = {}) => {
    const pod = makePod({ enableServiceLinks: false, ...spec }, container);
    const cfg = await t.setup.containerConfig(pod, pod.spec!.containers![0]!, FACTS);
    return Object.fromEntries(cfg.envs.map((e) => [e.key, e.value]));
  };
  const failure = async (container: Record<string, unknown>) => {
    const pod = makePod({ enableServiceLinks: false }, container);
    return t.setup.containerConfig(pod, pod.spec!.containers![0]!, FACTS).then(
      () => expect.fail('expected a ContainerConfigError'),
      (e: unknown) => e as ContainerConfigError,
    );
  };
  const seedConfigMap = () => t.api.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { k: 'from-cm', 'bad key': 'x', MODE: 'prod' } });
  const seedSecret = () => t.api.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, data: { password: Buffer.from('hunter2').toString('base64') } });

  it('keeps plain values and expands $(VAR) against earlier variables; $$ escapes; unknown references stay', async () => {
    const env = await envOf({ env: [{ name: 'A', value: 'a' }, { name: 'B', value: '$(A)-b' }, { name: 'C', value: '$$(A) $(NOPE) $(D)' }, { name: 'D', value: 'late' }] });
    expect(env).to.deep.equal({ A: 'a', B: 'a-b', C: '$(A) $(NOPE) $(D)', D: 'late' });
  });

  it('expands command and args against the final environment', async () => {
    const pod = makePod({ enableServiceLinks: false }, { command: ['sh', '-c', 'echo $(GREETING)'], args: ['$(GREETING)', '$$(GREETING)', '$(MISSING)'], env: [{ name: 'GREETING', value: 'hello' }] });
    const cfg = await t.setup.containerConfig(pod, pod.spec!.containers![0]!, FACTS);
    expect(cfg.command).to.deep.equal(['sh', '-c', 'echo hello']);
    expect(cfg.args).to.deep.equal(['hello', '$(GREETING)', '$(MISSING)']);
  });

  it('resolves configMapKeyRef and secretKeyRef', async () => {
    seedConfigMap();
    seedSecret();
    const env = await envOf({ env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }, { name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } }] });
    expect(env).to.deep.equal({ K: 'from-cm', P: 'hunter2' });
  });

  it("fails with Kubernetes' messages for a missing ConfigMap, Secret or key", async () => {
    seedConfigMap();
    seedSecret();
    const cases: [Record<string, unknown>, string][] = [
      [{ configMapKeyRef: { name: 'nope', key: 'k' } }, 'configmap "nope" not found'],
      [{ configMapKeyRef: { name: 'c', key: 'nokey' } }, "couldn't find key nokey in ConfigMap ns/c"],
      [{ secretKeyRef: { name: 'nope', key: 'k' } }, 'secret "nope" not found'],
      [{ secretKeyRef: { name: 's', key: 'nokey' } }, "couldn't find key nokey in Secret ns/s"],
    ];
    for (const [valueFrom, message] of cases) {
      const err = await failure({ env: [{ name: 'X', valueFrom }] });
      expect(err).to.be.instanceOf(ContainerConfigError);
      expect(err.message).to.equal(message);
      expect(err.reason).to.equal('CreateContainerConfigError');
    }
  });

  it('leaves out optional references whose object or key is missing', async () => {
    seedConfigMap();
    const env = await envOf({
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
        { name: 'B', valueFrom: { configMapKeyRef: { name: 'c', key: 'nokey', optional: true } } },
        { name: 'C', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
        { name: 'D', value: 'kept' },
      ],
      envFrom: [{ configMapRef: { name: 'absent', optional: true } }],
    });
    expect(env).to.deep.equal({ D: 'kept' });
  });

  it('envFrom adds every key with the prefix, skips invalid names, and env overrides it', async () => {
    seedConfigMap();
    seedSecret();
    const env = await envOf({ envFrom: [{ configMapRef: { name: 'c' }, prefix: 'CM_' }, { secretRef: { name: 's' } }], env: [{ name: 'CM_MODE', value: 'override' }] });
    expect(env).to.deep.equal({ CM_MODE: 'override', CM_k: 'from-cm', password: 'hunter2' });
    expect(await failure({ envFrom: [{ configMapRef: { name: 'missing' } }] })).to.have.property('message', 'configmap "missing" not found');
    expect(await failure({ envFrom: [{ secretRef: { name: 'missing' } }] })).to.have.property('message', 'secret "missing" not found');
  });

  it('resolves fieldRef paths of the downward API', async () => {
    const fields = ['metadata.name', 'metadata.namespace', 'metadata.uid', "metadata.labels['app']", "metadata.annotations['note']", 'metadata.labels', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.podIP', 'status.podIPs'];
    const env = await envOf({ env: fields.map((f, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath: f } } })) });
    expect(Object.values(env)).to.deep.equal(['web', 'ns', 'uid-1', 'web', 'hi', 'app="web"', 'node-1', 'sa', '192.0.2.10', '10.42.200.5', '10.42.200.5']);
    const err = await failure({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] });
    expect(err.message).to.equal('env X: unsupported fieldPath: spec.bogus');
  });

  it('resolves resourceFieldRef with divisors; an unset limit is the node allocatable', async () => {
    const env = await envOf({
      resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      env: [
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'CPU_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'MEM_LIM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'MEM_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
      ],
    });
    expect(env).to.deep.equal({ CPU_REQ: '1', CPU_REQ_M: '250', CPU_LIM: '4', MEM_LIM_MI: '128', MEM_REQ: String(64 * 1024 * 1024) });
    const err = await failure({ env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] });
    expect(err.message).to.equal('env X: unsupported container resource: limits.gpu');
  });

  describe('Service variables', () => {
    const service = (name: string, namespace: string, clusterIP: string, ports: ServicePort[]) =>
      t.api.seed<Service>({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { clusterIP, ports } });

    it('docker-link style variables for one Service (Kubernetes names and order)', () => {
      const vars = serviceEnvVars({ metadata: { name: 'redis-primary' }, spec: { clusterIP: '10.43.0.11', ports: [{ name: 'redis', port: 6379, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] } });
      expect(vars).to.deep.equal([
        ['REDIS_PRIMARY_SERVICE_HOST', '10.43.0.11'],
        ['REDIS_PRIMARY_SERVICE_PORT', '6379'],
        ['REDIS_PRIMARY_SERVICE_PORT_REDIS', '6379'],
        ['REDIS_PRIMARY_PORT', 'tcp://10.43.0.11:6379'],
        ['REDIS_PRIMARY_PORT_6379_TCP', 'tcp://10.43.0.11:6379'],
        ['REDIS_PRIMARY_PORT_6379_TCP_PROTO', 'tcp'],
        ['REDIS_PRIMARY_PORT_6379_TCP_PORT', '6379'],
        ['REDIS_PRIMARY_PORT_6379_TCP_ADDR', '10.43.0.11'],
        ['REDIS_PRIMARY_PORT_53_UDP', 'udp://10.43.0.11:53'],
        ['REDIS_PRIMARY_PORT_53_UDP_PROTO', 'udp'],
        ['REDIS_PRIMARY_PORT_53_UDP_PORT', '53'],
        ['REDIS_PRIMARY_PORT_53_UDP_ADDR', '10.43.0.11'],
      ]);
      expect(serviceEnvVars({ metadata: { name: 'headless' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } })).to.deep.equal([]);
    });

    it("the namespace's Services and kubernetes from default; enableServiceLinks false keeps only the master's; env wins over them and may use them", async () => {
      service('kubernetes', 'default', '10.43.0.1', [{ name: 'https', port: 443 }]);
      service('db', 'ns', '10.43.0.20', [{ port: 5432 }]);
      service('other', 'elsewhere', '10.43.0.30', [{ port: 80 }]);
      service('headless', 'ns', 'None', [{ port: 80 }]);
      const linked = await envOf({ env: [{ name: 'DB_SERVICE_PORT', value: 'mine' }, { name: 'URL', value: 'http://$(DB_SERVICE_HOST)' }] }, { enableServiceLinks: true });
      expect(linked).to.include({ KUBERNETES_SERVICE_HOST: '10.43.0.1', KUBERNETES_SERVICE_PORT: '443', KUBERNETES_SERVICE_PORT_HTTPS: '443', DB_SERVICE_HOST: '10.43.0.20', DB_SERVICE_PORT: 'mine', DB_PORT_5432_TCP_ADDR: '10.43.0.20', URL: 'http://10.43.0.20' });
      expect(Object.keys(linked).filter((k) => k.startsWith('OTHER_') || k.startsWith('HEADLESS_'))).to.deep.equal([]);
      const unlinked = await envOf({}, { enableServiceLinks: false });
      expect(Object.keys(unlinked).every((k) => k.startsWith('KUBERNETES_'))).to.equal(true);
      expect(unlinked).to.include({ KUBERNETES_SERVICE_HOST: '10.43.0.1', KUBERNETES_PORT: 'tcp://10.43.0.1:443' });
    });
  });
});
