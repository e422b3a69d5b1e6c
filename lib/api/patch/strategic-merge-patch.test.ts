import { expect } from 'chai';
import { ApiError } from '../errors';
import type { JsonObject, JsonValue } from './json-value';
import { PATCH_META } from './patch-meta';
import { applyStrategicMergePatch, rootSchema } from './strategic-merge-patch';

const DEPLOYMENT = rootSchema('apps/v1', 'Deployment');
const POD = rootSchema('v1', 'Pod');

function deployment(): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'fe' }, finalizers: ['a.example/x', 'b.example/y'] },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443, protocol: 'TCP' }],
              env: [{ name: 'A', value: '1' }, { name: 'B', value: '1' }],
              args: ['-x', '-y'],
            },
          ],
          tolerations: [{ key: 'k1', operator: 'Exists' }],
          volumes: [{ name: 'cfg', configMap: { name: 'web-cfg' } }],
        },
      },
    },
  };
}

function smp(obj: JsonObject, patch: JsonValue, schema = DEPLOYMENT): any {
  return applyStrategicMergePatch(obj, patch, schema);
}

function podSpec(obj: any): any {
  return obj.spec.template.spec;
}

function expectApiError(fn: () => unknown, code: number, ...fragments: string[]): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(ApiError);
    expect((e as ApiError).code, (e as ApiError).message).to.equal(code);
    for (const f of fragments) expect((e as ApiError).message).to.contain(f);
    return;
  }
  throw new Error('expected an ApiError');
}

describe('strategic merge patch', () => {
  describe('patch metadata', () => {
    it('records the upstream strategies and merge keys', () => {
      expect(PATCH_META['k8s.io.api.core.v1.PodSpec']!['containers']).to.deep.equal({ strategy: 'merge', mergeKey: 'name' });
      expect(PATCH_META['k8s.io.api.core.v1.PodSpec']!['volumes']).to.deep.equal({ strategy: 'merge,retainKeys', mergeKey: 'name' });
      expect(PATCH_META['k8s.io.api.core.v1.PodSpec']!['tolerations']).to.equal(undefined);
      expect(PATCH_META['k8s.io.api.core.v1.Container']!['ports']).to.deep.equal({ strategy: 'merge', mergeKey: 'containerPort' });
      expect(PATCH_META['k8s.io.api.core.v1.Container']!['volumeMounts']).to.deep.equal({ strategy: 'merge', mergeKey: 'mountPath' });
      expect(PATCH_META['k8s.io.api.apps.v1.DeploymentSpec']!['strategy']).to.deep.equal({ strategy: 'retainKeys' });
      expect(PATCH_META['k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta']).to.deep.equal({
        ownerReferences: { strategy: 'merge', mergeKey: 'uid' },
        finalizers: { strategy: 'merge' },
      });
      // Inlined EphemeralContainerCommon: its members are listed under EphemeralContainer too.
      expect(PATCH_META['k8s.io.api.core.v1.EphemeralContainer']!['env']).to.deep.equal({ strategy: 'merge', mergeKey: 'name' });
    });

    it('finds the root message of built-in kinds and none for custom ones', () => {
      expect(DEPLOYMENT).to.deep.equal({ kind: 'message', name: 'k8s.io.api.apps.v1.Deployment' });
      expect(rootSchema('example.com/v1', 'Widget')).to.equal(undefined);
    });
  });

  describe('kubectl-style patches on a Deployment', () => {
    it('kubectl scale: {"spec":{"replicas":3}}', () => {
      const out = smp(deployment(), { spec: { replicas: 3 } });
      expect(out.spec.replicas).to.equal(3);
      expect(podSpec(out)).to.deep.equal(podSpec(deployment()));
    });

    it('kubectl label / annotate: set, change and remove (null) labels', () => {
      const out = smp(deployment(), { metadata: { labels: { tier: null, env: 'prod', app: 'web2' }, annotations: { note: 'x' } } });
      expect(out.metadata.labels).to.deep.equal({ app: 'web2', env: 'prod' });
      expect(out.metadata.annotations).to.deep.equal({ note: 'x' });
    });

    it('adds a container to the template by name (first, as Kubernetes puts elements new to the live list)', () => {
      const out = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } } } });
      const containers = podSpec(out).containers;
      expect(containers.map((c: any) => c.name)).to.deep.equal(['sidecar', 'nginx']);
      expect(containers[1]).to.deep.equal(podSpec(deployment()).containers[0]);
      expect(containers[0]).to.deep.equal({ name: 'sidecar', image: 'busybox' });
    });

    it('changes one env var by name, leaving the others', () => {
      const out = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'nginx', env: [{ name: 'B', value: '2' }] }] } } } });
      const nginx = podSpec(out).containers[0];
      expect(nginx.env).to.deep.equal([{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
      expect(nginx.image).to.equal('nginx:1.25');
      expect(nginx.ports).to.have.length(2);
    });

    it('deletes a port with $patch: delete (merge key containerPort)', () => {
      const patch = { spec: { template: { spec: { containers: [{ name: 'nginx', ports: [{ containerPort: 443, $patch: 'delete' }] }] } } } };
      const out = smp(deployment(), patch);
      expect(podSpec(out).containers[0].ports).to.deep.equal([{ containerPort: 80, protocol: 'TCP' }]);
    });

    it('deletes a container with $patch: delete and an env var with a null-free element', () => {
      const base = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } } } });
      const out = smp(base, { spec: { template: { spec: { containers: [{ name: 'nginx', $patch: 'delete' }] } } } });
      expect(podSpec(out).containers).to.deep.equal([{ name: 'sidecar', image: 'busybox' }]);
    });

    it('replaces a merging list with a $patch: replace element', () => {
      const patch: JsonValue = { spec: { template: { spec: { containers: [{ name: 'nginx', env: [{ $patch: 'replace' }, { name: 'C', value: '3' }] }] } } } };
      expect(podSpec(smp(deployment(), patch)).containers[0].env).to.deep.equal([{ name: 'C', value: '3' }]);
    });

    it('replaces lists without strategy merge (tolerations, args)', () => {
      const patch = {
        spec: { template: { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }], containers: [{ name: 'nginx', args: ['-z'] }] } } },
      };
      const out = smp(deployment(), patch);
      expect(podSpec(out).tolerations).to.deep.equal([{ key: 'k2', operator: 'Exists' }]);
      expect(podSpec(out).containers[0].args).to.deep.equal(['-z']);
    });

    it('$retainKeys: switching the Deployment strategy from RollingUpdate to Recreate drops rollingUpdate', () => {
      const out = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } });
      expect(out.spec.strategy).to.deep.equal({ type: 'Recreate' });
      const out2 = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
      expect(out2.spec.strategy).to.deep.equal({ type: 'Recreate' });
    });

    it('$retainKeys on a volume (volumes are merge,retainKeys): changing the source type', () => {
      const patch = { spec: { template: { spec: { volumes: [{ name: 'cfg', $retainKeys: ['name', 'secret'], secret: { secretName: 's' } }] } } } };
      expect(podSpec(smp(deployment(), patch)).volumes).to.deep.equal([{ name: 'cfg', secret: { secretName: 's' } }]);
    });

    it('$retainKeys rejects a patch that sets a key it does not list (400)', () => {
      expectApiError(() => smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: 1 } } } }), 400, 'rollingUpdate');
      expectApiError(() => smp(deployment(), { spec: { strategy: { $retainKeys: 'type' } } }), 400, '$retainKeys');
    });

    it('finalizers merge as a set and $deleteFromPrimitiveList removes some', () => {
      const out = smp(deployment(), { metadata: { finalizers: ['b.example/y', 'c.example/z'] } });
      expect(out.metadata.finalizers).to.deep.equal(['a.example/x', 'b.example/y', 'c.example/z']);
      const out2 = smp(deployment(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example/x'] } });
      expect(out2.metadata.finalizers).to.deep.equal(['b.example/y']);
    });

    it('ownerReferences merge by uid', () => {
      const base = deployment();
      (base['metadata'] as any).ownerReferences = [{ uid: 'u1', name: 'a', kind: 'X', apiVersion: 'v1' }];
      const out = smp(base, { metadata: { ownerReferences: [{ uid: 'u2', name: 'b', kind: 'X', apiVersion: 'v1' }, { uid: 'u1', controller: true }] } });
      expect(out.metadata.ownerReferences).to.deep.equal([
        { uid: 'u2', name: 'b', kind: 'X', apiVersion: 'v1' },
        { uid: 'u1', name: 'a', kind: 'X', apiVersion: 'v1', controller: true },
      ]);
    });

    it('a $patch: delete map becomes empty; $patch: replace replaces a map', () => {
      expect(smp(deployment(), { metadata: { labels: { $patch: 'delete' } } }).metadata.labels).to.deep.equal({});
      expect(smp(deployment(), { metadata: { labels: { $patch: 'replace', only: 'this' } } }).metadata.labels).to.deep.equal({ only: 'this' });
      expectApiError(() => smp(deployment(), { metadata: { labels: { $patch: 'explode' } } }), 422, 'metadata.labels');
    });

    it('a new member is taken from the patch with its directives resolved and nulls dropped', () => {
      const out = smp(deployment(), { spec: { minReadySeconds: 5, paused: null, template: { spec: { nodeSelector: { disk: 'ssd', gone: null }, affinity: { $patch: 'delete' } } } } });
      expect(out.spec.minReadySeconds).to.equal(5);
      expect(podSpec(out).nodeSelector).to.deep.equal({ disk: 'ssd' });
      expect(podSpec(out)).to.not.have.property('affinity');
    });

    it('inlined members (VolumeSource inside Volume) are seen through: items of a configMap volume replace', () => {
      const patch = { spec: { template: { spec: { volumes: [{ name: 'cfg', configMap: { items: [{ key: 'k', path: 'p' }] } }] } } } };
      expect(podSpec(smp(deployment(), patch)).volumes).to.deep.equal([{ name: 'cfg', configMap: { name: 'web-cfg', items: [{ key: 'k', path: 'p' }] } }]);
    });
  });

  describe('list order (upstream "preserve order" cases, on containers)', () => {
    const named = (...names: string[]) => names.map((name) => ({ name }));
    const withContainers = (containers: JsonValue[]): JsonObject => ({ spec: { containers } });
    const containersOf = (o: any) => o.spec.containers;

    it('patch order wins for the elements it names', () => {
      const out = smp(withContainers([{ name: '1' }, { name: '2', image: 'b' }, { name: '3' }]), withContainers([{ name: '3', image: 'c' }, { name: '1', image: 'a' }, { name: '2', tty: true }]), POD);
      expect(containersOf(out)).to.deep.equal([{ name: '3', image: 'c' }, { name: '1', image: 'a' }, { name: '2', image: 'b', tty: true }]);
    });

    it('a live-only element stays before the patch elements it preceded', () => {
      const out = smp(withContainers([{ name: '1' }, { name: '2', image: 'b' }, { name: '3' }]), withContainers([{ name: '3', image: 'c' }, { name: '1', image: 'a' }]), POD);
      expect(containersOf(out)).to.deep.equal([{ name: '2', image: 'b' }, { name: '3', image: 'c' }, { name: '1', image: 'a' }]);
    });

    it('$setElementOrder orders the list and keeps server-only items near their live neighbours', () => {
      const live = withContainers([{ name: '1', tty: true }, { name: '2', image: 'b' }, { name: '7' }, { name: '9' }, { name: '8' }, { name: '3', image: 'c' }, { name: '4', image: 'd' }]);
      const out = smp(live, { spec: { '$setElementOrder/containers': named('2', '1', '4', '3') } }, POD);
      expect(containersOf(out).map((c: any) => c.name)).to.deep.equal(['2', '1', '7', '9', '8', '4', '3']);
      expect(containersOf(out)[1]).to.deep.equal({ name: '1', tty: true });

      const live2 = withContainers([{ name: '1' }, { name: '3' }, { name: '4' }, { name: '2' }, { name: '9' }]);
      const out2 = smp(live2, { spec: { '$setElementOrder/containers': named('4', '2', '3', '1') } }, POD);
      expect(containersOf(out2).map((c: any) => c.name)).to.deep.equal(['4', '2', '3', '1', '9']);
    });

    it('$setElementOrder with a patch list: kubectl apply adding a container in the middle', () => {
      const live = withContainers([{ name: 'a', image: 'a' }, { name: 'c', image: 'c' }]);
      const patch = { spec: { '$setElementOrder/containers': named('a', 'b', 'c'), containers: [{ name: 'b', image: 'b' }] } };
      expect(containersOf(smp(live, patch, POD))).to.deep.equal([{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }, { name: 'c', image: 'c' }]);
    });

    it('$setElementOrder that contradicts the patch list is a 400', () => {
      const patch = { spec: { '$setElementOrder/containers': named('a', 'b'), containers: [{ name: 'b' }, { name: 'a' }] } };
      expectApiError(() => smp(withContainers([]), patch, POD), 400, 'order');
    });

    it('primitive set lists keep live order for live items and append new ones', () => {
      const meta = (finalizers: JsonValue) => ({ metadata: { finalizers } });
      expect(smp(meta([1, 2]), meta([2, 3]), POD).metadata.finalizers).to.deep.equal([1, 2, 3]);
      // An element new to the live list, with no live neighbour in the patch, goes first.
      expect(smp(meta([1, 2]), meta([3]), POD).metadata.finalizers).to.deep.equal([3, 1, 2]);
      expect(smp(meta(['x', 'y']), { metadata: { '$setElementOrder/finalizers': ['y', 'x'] } }, POD).metadata.finalizers).to.deep.equal(['y', 'x']);
    });
  });

  describe('errors and fallbacks', () => {
    it('a merging-list element without its merge key is a 422 naming the path', () => {
      expectApiError(() => smp(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }), 422, 'spec.template.spec.containers[0]', 'name');
    });

    it('mixed element kinds in a merging list are a 422', () => {
      expectApiError(() => smp(deployment(), { metadata: { finalizers: [{ a: 1 }] } }), 422, 'metadata.finalizers');
    });

    it('a patch that is not an object is a 400', () => {
      expectApiError(() => smp(deployment(), [1]), 400, 'JSON object');
    });

    it('an unknown kind merges like a JSON merge patch (lists replace) but still resolves directives', () => {
      const cr = { spec: { items: [{ name: 'a' }], m: { x: 1, y: 2 } } };
      const out = applyStrategicMergePatch(cr, { spec: { items: [{ name: 'b' }], m: { y: null, z: 3 } } }, rootSchema('example.com/v1', 'Widget'));
      expect(out).to.deep.equal({ spec: { items: [{ name: 'b' }], m: { x: 1, z: 3 } } });
    });

    it('a field of unknown type inside a known kind falls back for that subtree only', () => {
      const base = deployment();
      (podSpec(base) as any).mystery = { list: [1] };
      const out = smp(base, { spec: { template: { spec: { mystery: { list: [2] }, containers: [{ name: 'x' }] } } } });
      expect(podSpec(out).mystery).to.deep.equal({ list: [2] });
      expect(podSpec(out).containers.map((c: any) => c.name)).to.deep.equal(['x', 'nginx']);
    });

    it('does not mutate its inputs and is safe against __proto__ keys', () => {
      const base = deployment();
      const before = JSON.stringify(base);
      const patch = JSON.parse('{"metadata":{"labels":{"__proto__":{"polluted":"yes"}},"__proto__":{"x":1}},"__proto__":{"polluted":"yes"}}');
      const out = smp(base, patch);
      expect(JSON.stringify(base)).to.equal(before);
      expect(({} as any).polluted).to.equal(undefined);
      expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
      expect(Object.getPrototypeOf(out.metadata.labels)).to.equal(Object.prototype);
      expect(Object.keys(out.metadata.labels)).to.include('__proto__');
    });
  });
});
