import { expect } from 'chai';
import type { FieldError } from '../../../../lib/api/errors';
import { appsStrategies, controllerRevisionStrategy, daemonSetStrategy, deploymentStrategy, replicaSetStrategy, statefulSetStrategy, type DaemonSet, type Deployment, type StatefulSet } from './index';

/** Errors as `field: message`, the way InvalidError prints them. */
function lines(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** A minimal manifest as a user writes it. */
function deployment(spec: Record<string, unknown> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u-1' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
      ...spec,
    },
  };
}

/** Defaulted and validated as on create. */
function createErrors(obj: Deployment): string[] {
  deploymentStrategy.prepareForCreate(obj);
  return lines(deploymentStrategy.validate(obj));
}

describe('apps/v1 strategies', () => {
  it('serve the five apps kinds with their short names and the "all" category (ControllerRevision is in none)', () => {
    expect(appsStrategies.map((s) => `${s.info.group}/${s.info.version} ${s.info.kind} ${s.info.resource} ${s.info.shortNames.join(',')} ${s.info.categories.join(',')}`)).to.deep.equal([
      'apps/v1 Deployment deployments deploy all',
      'apps/v1 ReplicaSet replicasets rs all',
      'apps/v1 DaemonSet daemonsets ds all',
      'apps/v1 StatefulSet statefulsets sts all',
      'apps/v1 ControllerRevision controllerrevisions  ',
    ]);
    for (const s of appsStrategies) {
      expect(s.hasStatus, s.info.kind).to.equal(s.info.kind !== 'ControllerRevision');
      expect(s.info.namespaced).to.equal(true);
      expect(s.info.singular).to.equal(s.info.kind.toLowerCase());
    }
  });

  describe('Deployment', () => {
    it('defaults a minimal Deployment the way a real cluster shows it', () => {
      const d = deployment();
      deploymentStrategy.prepareForCreate(d);
      const { template, ...rest } = d.spec!;
      expect(rest).to.deep.equal({
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
      });
      expect(template!.metadata).to.deep.equal({ labels: { app: 'web' } });
      expect(template!.spec).to.deep.include({
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        terminationGracePeriodSeconds: 30,
        schedulerName: 'default-scheduler',
        securityContext: {},
      });
      expect(template!.spec!.containers).to.deep.equal([
        {
          name: 'web',
          image: 'nginx:1.25',
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          resources: {},
        },
      ]);
      expect(d.status).to.deep.equal({});
      expect(deploymentStrategy.validate(d)).to.deep.equal([]);
    });

    it('keeps values the user set, and gives Recreate no rollingUpdate', () => {
      const d = deployment({ replicas: 3, strategy: { type: 'Recreate' }, revisionHistoryLimit: 2 });
      deploymentStrategy.prepareForCreate(d);
      expect(d.spec!.replicas).to.equal(3);
      expect(d.spec!.strategy).to.deep.equal({ type: 'Recreate' });
      expect(d.spec!.revisionHistoryLimit).to.equal(2);
    });

    const table: { name: string; spec: Record<string, unknown>; want: string[] }[] = [
      { name: 'negative replicas', spec: { replicas: -1 }, want: ['spec.replicas: Invalid value: -1: must be greater than or equal to 0'] },
      { name: 'missing selector', spec: { selector: undefined }, want: ['spec.selector: Required value'] },
      { name: 'empty selector', spec: { selector: {} }, want: ['spec.selector: Invalid value: {}: empty selector is invalid for deployment'] },
      {
        name: 'selector not matching the template',
        spec: { selector: { matchLabels: { app: 'api' } } },
        want: ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
      },
      {
        name: 'a matchExpressions selector the labels fail',
        spec: { selector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] } },
        want: ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
      },
      {
        name: 'a bad selector operator',
        spec: { selector: { matchExpressions: [{ key: 'app', operator: 'Near', values: ['web'] }] } },
        want: ['spec.selector.matchExpressions[0].operator: Unsupported value: "Near": supported values: "In", "NotIn", "Exists", "DoesNotExist"'],
      },
      {
        name: 'an unknown strategy type',
        spec: { strategy: { type: 'BlueGreen' } },
        want: ['spec.strategy.type: Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"'],
      },
      {
        name: 'rollingUpdate with Recreate',
        spec: { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } },
        want: ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
      },
      {
        name: 'maxSurge and maxUnavailable both 0',
        spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } },
        want: ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0'],
      },
      {
        name: 'maxUnavailable above 100%',
        spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } } },
        want: ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%'],
      },
      {
        name: 'a negative maxSurge',
        spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: -1 } } },
        want: ['spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0'],
      },
      {
        name: 'progressDeadlineSeconds not above minReadySeconds',
        spec: { minReadySeconds: 30, progressDeadlineSeconds: 30 },
        want: ['spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds'],
      },
      { name: 'negative revisionHistoryLimit', spec: { revisionHistoryLimit: -2 }, want: ['spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0'] },
      {
        name: 'a container without name and image, and restartPolicy Never',
        spec: { template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Never', containers: [{}] } } },
        want: [
          'spec.template.spec.containers[0].name: Required value',
          'spec.template.spec.containers[0].image: Required value',
          'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
        ],
      },
      {
        name: 'no containers',
        spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [] } } },
        want: ['spec.template.spec.containers: Required value'],
      },
      {
        name: 'activeDeadlineSeconds in the template',
        spec: { template: { metadata: { labels: { app: 'web' } }, spec: { activeDeadlineSeconds: 10, containers: [{ name: 'a', image: 'b' }] } } },
        want: ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported'],
      },
    ];
    for (const { name, spec, want } of table) {
      it(`rejects ${name}`, () => {
        const d = deployment(spec);
        for (const [k, v] of Object.entries(spec)) if (v === undefined) delete d.spec![k];
        expect(createErrors(d)).to.deep.equal(want);
      });
    }

    it('reports every bad field at once', () => {
      const d = deployment({ replicas: -1, selector: { matchLabels: { app: 'api' } }, strategy: { type: 'Nope' } });
      expect(createErrors(d)).to.have.length(3);
    });

    it('refuses a selector change on update ("field is immutable") but allows scaling and template changes', () => {
      const old = deployment();
      deploymentStrategy.prepareForCreate(old);
      const scaled = clone(old);
      scaled.spec!.replicas = 5;
      scaled.spec!.template!.spec!.containers![0].image = 'nginx:1.26';
      deploymentStrategy.prepareForUpdate(scaled, old);
      expect(deploymentStrategy.validateUpdate(scaled, old)).to.deep.equal([]);
      expect(deploymentStrategy.specChanged(scaled, old)).to.equal(true);

      const moved = clone(old);
      moved.spec!.selector = { matchLabels: { app: 'web', tier: 'fe' } };
      moved.spec!.template!.metadata!.labels = { app: 'web', tier: 'fe' };
      deploymentStrategy.prepareForUpdate(moved, old);
      expect(lines(deploymentStrategy.validateUpdate(moved, old))).to.deep.equal([
        'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"fe"}}: field is immutable',
      ]);
    });

    it('counts only spec for generation', () => {
      const old = deployment();
      deploymentStrategy.prepareForCreate(old);
      const relabeled = clone(old);
      relabeled.metadata.labels = { team: 'a' };
      relabeled.status = { replicas: 3 };
      expect(deploymentStrategy.specChanged(relabeled, old)).to.equal(false);
    });
  });

  describe('ReplicaSet', () => {
    it('defaults replicas to 1 and validates like a Deployment', () => {
      const rs = { metadata: { name: 'web-1', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
      replicaSetStrategy.prepareForCreate(rs);
      expect(rs.spec).to.have.property('replicas', 1);
      expect(lines(replicaSetStrategy.validate(rs))).to.deep.equal([
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      ]);
    });
  });

  describe('DaemonSet', () => {
    it('defaults updateStrategy RollingUpdate with maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10', () => {
      const ds: DaemonSet = { metadata: { name: 'agent', namespace: 'kube-system' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } } } };
      daemonSetStrategy.prepareForCreate(ds);
      expect(ds.spec).to.deep.include({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
      expect(daemonSetStrategy.validate(ds)).to.deep.equal([]);
      const bad = clone(ds);
      bad.spec!.updateStrategy = { type: 'Sometimes' };
      expect(lines(daemonSetStrategy.validate(bad))).to.deep.equal(['spec.updateStrategy.type: Unsupported value: "Sometimes": supported values: "RollingUpdate", "OnDelete"']);
    });
  });

  describe('StatefulSet', () => {
    function sts(): StatefulSet {
      return {
        metadata: { name: 'db', namespace: 'default' },
        spec: { serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } } },
      };
    }

    it('defaults podManagementPolicy, updateStrategy partition 0, replicas 1, revisionHistoryLimit 10 and the PVC retention policy', () => {
      const s = sts();
      statefulSetStrategy.prepareForCreate(s);
      const { template: _t, selector: _s, ...rest } = s.spec!;
      expect(rest).to.deep.equal({
        serviceName: 'db',
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        replicas: 1,
        revisionHistoryLimit: 10,
      });
      expect(statefulSetStrategy.validate(s)).to.deep.equal([]);
    });

    it('lets containers mount the volumes of volumeClaimTemplates, and only those', () => {
      const s = sts();
      const container = s.spec!.template!.spec!.containers![0] as Record<string, unknown>;
      container.volumeMounts = [{ name: 'data', mountPath: '/var/lib/postgresql/data' }];
      s.spec!.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }];
      statefulSetStrategy.prepareForCreate(s);
      expect(statefulSetStrategy.validate(s)).to.deep.equal([]);
      expect(s.spec!.template!.spec!.volumes).to.equal(undefined);
      container.volumeMounts = [{ name: 'logs', mountPath: '/logs' }];
      expect(lines(statefulSetStrategy.validate(s))).to.deep.equal(['spec.template.spec.containers[0].volumeMounts[0].name: Not found: "logs"']);
    });

    it('rejects a bad podManagementPolicy', () => {
      const s = sts();
      s.spec!.podManagementPolicy = 'Random';
      statefulSetStrategy.prepareForCreate(s);
      expect(lines(statefulSetStrategy.validate(s))).to.deep.equal(["spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"]);
    });

    it('allows replicas/template/updateStrategy updates and forbids the rest', () => {
      const old = sts();
      statefulSetStrategy.prepareForCreate(old);
      const ok = clone(old);
      ok.spec!.replicas = 3;
      ok.spec!.updateStrategy = { type: 'OnDelete' };
      ok.spec!.template!.spec!.containers![0].image = 'postgres:17';
      expect(statefulSetStrategy.validateUpdate(ok, old)).to.deep.equal([]);
      const bad = clone(old);
      bad.spec!.serviceName = 'other';
      expect(lines(statefulSetStrategy.validateUpdate(bad, old))).to.deep.equal([
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ]);
    });
  });

  describe('StatefulSet maxUnavailable', () => {
    const withMax = (maxUnavailable: unknown): StatefulSet => ({
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: maxUnavailable as number } },
      },
    });
    const errs = (v: unknown) => {
      const s = withMax(v);
      statefulSetStrategy.prepareForCreate(s);
      return lines(statefulSetStrategy.validate(s));
    };
    it('accepts a positive count or percentage and rejects 0, over 100% and garbage, naming the field', () => {
      expect(errs(2)).to.deep.equal([]);
      expect(errs('50%')).to.deep.equal([]);
      expect(errs(0)).to.deep.equal(['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0']);
      expect(errs('150%')).to.have.length(1);
      expect(errs('x')[0]).to.match(/^spec\.updateStrategy\.rollingUpdate\.maxUnavailable: Invalid value: "x"/);
    });
  });

  describe('ControllerRevision', () => {
    const revision = (over: Record<string, unknown> = {}) => ({
      apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-5d8f9c', namespace: 'default' },
      data: { spec: { template: { $patch: 'replace', spec: { containers: [{ name: 'c', image: 'a' }] } } } }, revision: 1, ...over,
    });

    it('accepts any JSON object as data and a revision ≥ 0', () => {
      const cr = revision();
      controllerRevisionStrategy.prepareForCreate(cr);
      expect(controllerRevisionStrategy.validate(cr)).to.deep.equal([]);
    });

    it('requires data and revision, and rejects a negative revision or non-object data', () => {
      expect(lines(controllerRevisionStrategy.validate(revision({ data: undefined, revision: undefined })))).to.deep.equal(['data: Required value: data is mandatory', 'revision: Required value']);
      expect(lines(controllerRevisionStrategy.validate(revision({ data: 'x', revision: -1 })))).to.deep.equal([
        'data: Invalid value: "x": must be a JSON object',
        'revision: Invalid value: -1: must be greater than or equal to 0',
      ]);
    });

    it('keeps data immutable but lets the revision move (a rollback re-uses an old revision)', () => {
      const old = revision();
      expect(controllerRevisionStrategy.validateUpdate(revision({ revision: 7 }), old)).to.deep.equal([]);
      expect(lines(controllerRevisionStrategy.validateUpdate(revision({ data: { other: true } }), old))).to.deep.equal(['data: Invalid value: {"other":true}: field is immutable']);
      expect(controllerRevisionStrategy.specChanged(revision({ revision: 7 }), old), 'no generation bumps').to.equal(false);
    });
  });
});
