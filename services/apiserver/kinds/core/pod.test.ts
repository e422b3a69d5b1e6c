import { expect } from 'chai';
import { podStrategy, type Pod } from './pod';
import { POD_UPDATE_FORBIDDEN_MESSAGE, computeQosClass, defaultPullPolicy, validatePodTemplateSpec, type PodSpec } from './pod-spec';
import { clone, lines } from './test-helpers';

function pod(spec: PodSpec, name = 'web'): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec };
}

function created(spec: PodSpec): Pod {
  const p = pod(clone(spec));
  podStrategy.prepareForCreate(p);
  return p;
}

describe('core/v1 Pod strategy', () => {
  describe('defaults', () => {
    it('fills a minimal pod the way a real cluster shows it (kubectl get -o yaml)', () => {
      const p = created({ containers: [{ name: 'nginx', image: 'nginx' }] });
      expect(p.spec).to.deep.equal({
        containers: [
          {
            name: 'nginx',
            image: 'nginx',
            imagePullPolicy: 'Always',
            resources: {},
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
          },
        ],
        dnsPolicy: 'ClusterFirst',
        enableServiceLinks: true,
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        securityContext: {},
        terminationGracePeriodSeconds: 30,
      });
      expect(p.status).to.deep.equal({ phase: 'Pending', qosClass: 'BestEffort' });
      expect(podStrategy.validate(p)).to.deep.equal([]);
    });

    it('fills probe timings and httpGet path/scheme like Kubernetes (kubectl describe: timeout=1s #success=1 #failure=3)', () => {
      const p = created({
        containers: [
          {
            name: 'c',
            image: 'nginx:1.25',
            readinessProbe: { httpGet: { port: 'http' }, periodSeconds: 5 },
            livenessProbe: { exec: { command: ['true'] }, failureThreshold: 6 },
            lifecycle: { preStop: { httpGet: { port: 80, path: '/stop' } } },
          },
        ],
      });
      const c = p.spec!.containers![0]!;
      expect(c.readinessProbe).to.deep.equal({ httpGet: { port: 'http', path: '/', scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
      expect(c.livenessProbe).to.deep.equal({ exec: { command: ['true'] }, failureThreshold: 6, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1 });
      expect(c.lifecycle).to.deep.equal({ preStop: { httpGet: { port: 80, path: '/stop', scheme: 'HTTP' } } });
      expect(podStrategy.validate(p)).to.deep.equal([]);
    });

    it('keeps values the client set and defaults container ports to TCP', () => {
      const p = created({
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 5,
        containers: [{ name: 'a', image: 'busybox:1.36', imagePullPolicy: 'Never', ports: [{ containerPort: 80 }] }],
      });
      expect(p.spec!.restartPolicy).to.equal('Never');
      expect(p.spec!.terminationGracePeriodSeconds).to.equal(5);
      expect(p.spec!.containers![0]!.imagePullPolicy).to.equal('Never');
      expect(p.spec!.containers![0]!.ports).to.deep.equal([{ containerPort: 80, protocol: 'TCP' }]);
    });

    it('clears a status the client sent on create', () => {
      const p = pod({ containers: [{ name: 'a', image: 'a' }] });
      p.status = { phase: 'Running', podIP: '10.0.0.1' };
      podStrategy.prepareForCreate(p);
      expect(p.status).to.deep.equal({ phase: 'Pending', qosClass: 'BestEffort' });
    });

    const pullPolicies: [string, string][] = [
      ['nginx', 'Always'],
      ['nginx:latest', 'Always'],
      ['nginx:1.25', 'IfNotPresent'],
      ['localhost:5000/app', 'Always'],
      ['localhost:5000/app:v1', 'IfNotPresent'],
      ['nginx@sha256:0123abcd', 'IfNotPresent'],
    ];
    for (const [image, policy] of pullPolicies) {
      it(`imagePullPolicy of ${image} is ${policy}`, () => expect(defaultPullPolicy(image)).to.equal(policy));
    }

    it('computes the QoS class', () => {
      const g = { cpu: '500m', memory: '128Mi' };
      expect(computeQosClass({ containers: [{ name: 'a', image: 'a', resources: { limits: g } }] })).to.equal('Guaranteed');
      expect(computeQosClass({ containers: [{ name: 'a', image: 'a', resources: { limits: g, requests: { cpu: '0.5', memory: '128Mi' } } }] })).to.equal(
        'Guaranteed',
      );
      expect(computeQosClass({ containers: [{ name: 'a', image: 'a', resources: { requests: { cpu: '100m' } } }] })).to.equal('Burstable');
      expect(computeQosClass({ containers: [{ name: 'a', image: 'a', resources: {} }] })).to.equal('BestEffort');
      const p = created({ containers: [{ name: 'a', image: 'a', resources: { limits: g } }] });
      expect(p.spec!.containers![0]!.resources).to.deep.equal({ limits: g, requests: g });
      expect(p.status!.qosClass).to.equal('Guaranteed');
    });
  });

  describe('validation', () => {
    const cases: { name: string; spec: PodSpec; errors: string[] }[] = [
      { name: 'no containers', spec: { containers: [] }, errors: ['spec.containers: Required value'] },
      { name: 'container without name and image', spec: { containers: [{}] }, errors: ['spec.containers[0].name: Required value', 'spec.containers[0].image: Required value'] },
      {
        name: 'container name not a DNS-1123 label',
        spec: { containers: [{ name: 'Web_1', image: 'a' }] },
        errors: [
          `spec.containers[0].name: Invalid value: "Web_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        ],
      },
      {
        name: 'duplicate container names (across init containers too)',
        spec: { containers: [{ name: 'a', image: 'a' }, { name: 'a', image: 'b' }], initContainers: [{ name: 'a', image: 'c' }] },
        errors: ['spec.containers[1].name: Duplicate value: "a"', 'spec.initContainers[0].name: Duplicate value: "a"'],
      },
      {
        name: 'unsupported restartPolicy',
        spec: { restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'a' }] },
        errors: ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
      },
      {
        name: 'bad ports',
        spec: {
          containers: [
            {
              name: 'a',
              image: 'a',
              ports: [
                { containerPort: 0 },
                { containerPort: 70000, name: 'http' },
                { containerPort: 81, name: 'http', protocol: 'ICMP' },
                { containerPort: 82, name: 'Bad--name' },
              ],
            },
          ],
        },
        errors: [
          'spec.containers[0].ports[0].containerPort: Required value',
          'spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
          'spec.containers[0].ports[2].name: Duplicate value: "http"',
          'spec.containers[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
          'spec.containers[0].ports[3].name: Invalid value: "Bad--name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
          'spec.containers[0].ports[3].name: Invalid value: "Bad--name": must not contain consecutive hyphens',
        ],
      },
      {
        name: 'env names',
        spec: { containers: [{ name: 'a', image: 'a', env: [{ value: 'x' }, { name: '1BAD' }, { name: 'GOOD.name-1' }] }] },
        errors: [
          'spec.containers[0].env[0].name: Required value',
          `spec.containers[0].env[1].name: Invalid value: "1BAD": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
        ],
      },
      {
        name: 'volumes unique and mounts reference them',
        spec: {
          volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: {} }],
          containers: [{ name: 'a', image: 'a', volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'cache', mountPath: '/c' }, { name: 'data' }] }],
        },
        errors: [
          'spec.volumes[1].name: Duplicate value: "data"',
          'spec.containers[0].volumeMounts[1].name: Not found: "cache"',
          'spec.containers[0].volumeMounts[2].mountPath: Required value',
        ],
      },
      {
        name: 'requests above limits and bad quantities',
        spec: { containers: [{ name: 'a', image: 'a', resources: { limits: { cpu: '1' }, requests: { cpu: '2', memory: 'lots' } } }] },
        errors: [
          `spec.containers[0].resources.requests[memory]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
          'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
        ],
      },
      {
        name: 'negative grace period, zero deadline, bad dnsPolicy',
        spec: { terminationGracePeriodSeconds: -1, activeDeadlineSeconds: 0, dnsPolicy: 'Google', containers: [{ name: 'a', image: 'a' }] },
        errors: [
          'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
          'spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0',
          'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive',
        ],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const p = created(c.spec);
        expect(lines(podStrategy.validate(p))).to.deep.equal(c.errors);
      });
    }

    it('validates a pod template at its own path (for apps/batch kinds)', () => {
      const errs = validatePodTemplateSpec({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ image: 'x' }] } }, 'spec.template');
      expect(lines(errs)).to.deep.equal(['spec.template.spec.containers[0].name: Required value']);
      expect(lines(validatePodTemplateSpec(undefined, 'spec.template'))).to.deep.equal(['spec.template: Required value']);
    });
  });

  describe('update', () => {
    const base = () => {
      const p = created({ containers: [{ name: 'a', image: 'nginx:1.24' }], activeDeadlineSeconds: 100, tolerations: [{ key: 'k', operator: 'Exists' }] });
      p.metadata.resourceVersion = '5';
      return p;
    };
    const update = (mutate: (p: Pod) => void) => {
      const old = base();
      const next = clone(old);
      mutate(next);
      podStrategy.prepareForUpdate(next, old);
      return { errs: lines(podStrategy.validateUpdate(next, old)), changed: podStrategy.specChanged(next, old) };
    };

    it('allows changing an image, lowering activeDeadlineSeconds and adding tolerations', () => {
      const r = update((p) => {
        p.spec!.containers![0]!.image = 'nginx:1.25';
        p.spec!.activeDeadlineSeconds = 50;
        p.spec!.tolerations!.push({ key: 'other', operator: 'Exists', effect: 'NoSchedule' });
      });
      expect(r.errs).to.deep.equal([]);
      expect(r.changed).to.equal(true);
    });

    it('allows reordering tolerations as long as none is removed', () => {
      const r = update((p) => (p.spec!.tolerations = [{ key: 'new', operator: 'Exists' }, { operator: 'Exists', key: 'k' }]));
      expect(r.errs).to.deep.equal([]);
    });

    it('metadata-only changes do not change the spec', () => {
      const r = update((p) => (p.metadata.labels = { a: 'b' }));
      expect(r).to.deep.equal({ errs: [], changed: false });
    });

    const forbiddenChanges: [string, (p: Pod) => void][] = [
      ['restartPolicy', (p) => (p.spec!.restartPolicy = 'Never')],
      ['nodeName (only through binding)', (p) => (p.spec!.nodeName = 'node-1')],
      ['a container added', (p) => p.spec!.containers!.push({ name: 'b', image: 'b' })],
      ['container env', (p) => (p.spec!.containers![0]!.env = [{ name: 'A', value: '1' }])],
      ['a toleration removed', (p) => (p.spec!.tolerations = [])],
    ];
    for (const [what, mutate] of forbiddenChanges) {
      it(`forbids changing ${what}`, () => {
        expect(update(mutate).errs).to.deep.equal([`spec: Forbidden: ${POD_UPDATE_FORBIDDEN_MESSAGE}`]);
      });
    }

    it('forbids raising or unsetting activeDeadlineSeconds', () => {
      expect(update((p) => (p.spec!.activeDeadlineSeconds = 200)).errs).to.deep.equal([
        'spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value',
      ]);
      expect(update((p) => delete p.spec!.activeDeadlineSeconds).errs).to.deep.equal([
        'spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value',
      ]);
    });

    it('still validates the new spec (an emptied image is required)', () => {
      expect(update((p) => (p.spec!.containers![0]!.image = '')).errs).to.deep.equal(['spec.containers[0].image: Required value']);
    });
  });

  it('has Kubernetes identity and selectable fields', () => {
    expect(podStrategy.info).to.deep.equal({
      group: '',
      version: 'v1',
      kind: 'Pod',
      resource: 'pods',
      singular: 'pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
    });
    expect(podStrategy.hasStatus).to.equal(true);
    const p = created({ containers: [{ name: 'a', image: 'a' }], nodeName: 'n1', serviceAccountName: 'builder' });
    expect(podStrategy.selectableFields!(p)).to.deep.equal({
      'spec.nodeName': 'n1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'builder',
      'spec.hostNetwork': 'false',
      'status.phase': 'Pending',
      'status.podIP': '',
      'status.nominatedNodeName': '',
    });
  });
});

describe('core/v1 pods/binding', () => {
  it('validates the Binding target', async () => {
    const { validateBinding } = await import('./pod-binding');
    expect(lines(validateBinding({ metadata: { name: 'web' }, target: { kind: 'Pod' } }))).to.deep.equal([
      'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
      'target.name: Required value',
    ]);
    expect(validateBinding({ metadata: { name: 'web' }, target: { name: 'node-1' } })).to.deep.equal([]);
  });

  it('lets the binding strategy set nodeName only, and only once', async () => {
    const { podBindingStrategy } = await import('./pod-binding');
    const old = created({ containers: [{ name: 'a', image: 'a' }] });
    const bound = clone(old);
    bound.spec!.nodeName = 'n1';
    expect(podBindingStrategy.validateUpdate(bound, old)).to.deep.equal([]);
    const rebound = clone(bound);
    rebound.spec!.nodeName = 'n2';
    expect(lines(podBindingStrategy.validateUpdate(rebound, bound))).to.deep.equal(['spec.nodeName: Invalid value: "n2": field is immutable']);
    const sneaky = clone(old);
    sneaky.spec!.nodeName = 'n1';
    sneaky.spec!.restartPolicy = 'Never';
    expect(lines(podBindingStrategy.validateUpdate(sneaky, old))).to.deep.equal(['spec: Forbidden: a binding may only set spec.nodeName']);
  });

  it('refuses to bind a pod that scheduling gates still hold', async () => {
    const { bindPod } = await import('./pod-binding');
    const gated = created({ containers: [{ name: 'a', image: 'a' }], schedulingGates: [{ name: 'example.com/quota' }] });
    expect(() => bindPod(gated, { metadata: { name: 'web' }, target: { name: 'n1' } }, new Date(0))).to.throw(/pod web has non-empty \.spec\.schedulingGates/);
  });
});
