import { expect } from 'chai';
import { ApiError } from '../errors';
import { APPLY_PATCH_TYPE, applyPatch, MERGE_PATCH_TYPE } from './index';
import type { JsonObject } from './json-value';
import { FieldSet, fieldSetOf, pathString, readManagedFields, recordUpdate, rootField } from './managed-fields';
import { ApplyConflictError, parseApplyBody, serverSideApply } from './server-side-apply';

const T0 = new Date('2024-05-01T12:00:00.123Z');
const T1 = new Date('2024-05-01T12:05:00Z');
const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' };

/** An apply configuration of a Deployment `web`. */
function config(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): JsonObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', ...metadata }, spec } as JsonObject;
}

function container(name: string, image: string): Record<string, unknown> {
  return { name, image };
}

function template(...containers: Record<string, unknown>[]): Record<string, unknown> {
  return { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } };
}

function apply(live: JsonObject, cfg: JsonObject, manager: string, opts: { force?: boolean; now?: Date } = {}): any {
  return serverSideApply(live, cfg, { fieldManager: manager, force: opts.force, apiVersion: 'apps/v1', kind: 'Deployment', now: opts.now ?? T0 });
}

function caught(f: () => unknown): ApiError {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

function managers(obj: any): string[] {
  return (obj.metadata.managedFields ?? []).map((e: any) => `${e.manager}/${e.operation}`);
}

function entry(obj: any, manager: string): any {
  return (obj.metadata.managedFields ?? []).find((e: any) => e.manager === manager);
}

describe('server-side apply', () => {
  describe('field sets', () => {
    it('writes FieldsV1 with f:, k:{...} and "." as Kubernetes does', () => {
      const cfg = config({ replicas: 2, ...template(container('web', 'nginx:1.25')) }, { labels: { app: 'web' } });
      const out = apply({}, cfg, 'kubectl');
      expect(out.metadata.managedFields).to.deep.equal([
        {
          manager: 'kubectl',
          operation: 'Apply',
          apiVersion: 'apps/v1',
          time: '2024-05-01T12:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
            'f:spec': {
              'f:replicas': {},
              'f:selector': { 'f:matchLabels': { '.': {}, 'f:app': {} } },
              'f:template': {
                'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
                'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
              },
            },
          },
        },
      ]);
    });

    it('reads FieldsV1 back into the same set, and names paths as Kubernetes prints them', () => {
      const obj = config({ ...template(container('web', 'nginx')) }, { finalizers: ['a/b'] });
      const set = fieldSetOf(obj, rootField('apps/v1', 'Deployment'));
      expect(FieldSet.fromFieldsV1(set.toFieldsV1()).equals(set)).to.equal(true);
      expect(set.has(['f:metadata', 'f:finalizers', 'v:"a/b"'])).to.equal(true);
      expect(set.has(['f:apiVersion'])).to.equal(false);
      expect(set.has(['f:metadata', 'f:name'])).to.equal(false);
      expect(pathString(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image'])).to.equal('.spec.template.spec.containers[name="web"].image');
      expect(pathString(['f:metadata', 'f:finalizers', 'v:"a/b"'])).to.equal('.metadata.finalizers[="a/b"]');
    });

    it('parses YAML and JSON bodies; a list, garbage or managedFields in the body are 400s', () => {
      expect(parseApplyBody('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "1"\n')).to.deep.equal({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x' },
        data: { a: '1' },
      });
      expect(parseApplyBody(Buffer.from('{"kind":"ConfigMap"}'))).to.deep.equal({ kind: 'ConfigMap' });
      expect(caught(() => parseApplyBody('- a\n- b\n')).code).to.equal(400);
      expect(caught(() => parseApplyBody('a: [\n')).code).to.equal(400);
      const withManaged = config({ replicas: 1 }, { managedFields: [{ manager: 'x' }] });
      expect(caught(() => apply({}, withManaged, 'kubectl')).code).to.equal(400);
    });
  });

  describe('one manager', () => {
    it('creates from an empty object, owning exactly what it applied', () => {
      const out = apply({}, config({ replicas: 3 }), 'kubectl');
      expect(out.spec).to.deep.equal({ replicas: 3 });
      expect(managers(out)).to.deep.equal(['kubectl/Apply']);
    });

    it('re-applying the same configuration changes nothing, managedFields time included', () => {
      const first = apply({}, config({ replicas: 3, ...template(container('web', 'nginx')) }), 'kubectl');
      const again = apply(first, config({ replicas: 3, ...template(container('web', 'nginx')) }), 'kubectl', { now: T1 });
      expect(again).to.deep.equal(first);
    });

    it('removes a field it applied before and no longer applies; keeps fields nobody applied away', () => {
      const first = apply({}, config({ replicas: 3, paused: true }, { labels: { app: 'web', tier: 'fe' } }), 'kubectl');
      const second = apply(first, config({ replicas: 3 }, { labels: { app: 'web' } }), 'kubectl', { now: T1 });
      expect(second.spec).to.deep.equal({ replicas: 3 });
      expect(second.metadata.labels).to.deep.equal({ app: 'web' });
      expect(entry(second, 'kubectl').time).to.equal('2024-05-01T12:05:00Z');
      const third = apply(second, config({ replicas: 3 }), 'kubectl');
      expect(third.metadata).to.not.have.property('labels');
    });

    it('merges into a live object written without managedFields and removes none of its fields', () => {
      const live = { ...config({ replicas: 1, paused: true }, { labels: { keep: 'me' } }) } as JsonObject;
      const out = apply(live, config({ paused: true }, { labels: { app: 'web' } }), 'kubectl');
      expect(out.metadata.labels).to.deep.equal({ keep: 'me', app: 'web' });
      expect(out.spec).to.deep.equal({ replicas: 1, paused: true });
      expect(managers(out)).to.deep.equal(['before-first-apply/Update', 'kubectl/Apply']);
      // The applier does not own what was there before: dropping paused from its config removes nothing.
      const later = apply(out, config({}, { labels: { app: 'web' } }), 'kubectl');
      expect(later.spec.paused).to.equal(true);
    });

    it('an associative list element without its merge key is a 422', () => {
      expect(caught(() => apply({}, config({ template: { spec: { containers: [{ image: 'x' }] } } }), 'kubectl')).code).to.equal(422);
    });

    it('requires a field manager', () => {
      const err = caught(() => applyPatch({}, APPLY_PATCH_TYPE, '{"kind":"Deployment"}', DEPLOY));
      expect(err.code).to.equal(400);
      expect(err.message).to.contain('fieldManager: Required value');
    });
  });

  describe('two managers', () => {
    it('a different value for a field another applier owns is a 409 with Kubernetes message and causes', () => {
      const a = apply({}, config({ replicas: 3 }), 'manager-a');
      const err = caught(() => apply(a, config({ replicas: 5 }), 'manager-b'));
      expect(err).to.be.instanceOf(ApplyConflictError);
      expect(err.code).to.equal(409);
      expect(err.reason).to.equal('Conflict');
      expect(err.message).to.equal('Apply failed with 1 conflict: conflict with "manager-a": .spec.replicas');
      expect(err.details?.causes).to.deep.equal([{ reason: 'FieldManagerConflict', message: 'conflict with "manager-a"', field: '.spec.replicas' }]);
    });

    it('names an updater with its apiVersion, as for kubectl-client-side-apply', () => {
      const created = recordUpdate({}, config({ replicas: 1 }), 'kubectl-client-side-apply', 'apps/v1', T0) as any;
      const err = caught(() => apply(created, config({ replicas: 2 }), 'kubectl'));
      expect(err.message).to.equal('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
      expect(err.details?.causes?.[0]).to.deep.equal({
        reason: 'FieldManagerConflict',
        message: 'conflict with "kubectl-client-side-apply" using apps/v1',
        field: '.spec.replicas',
      });
    });

    it('lists several conflicts per manager', () => {
      const a = apply({}, config({ replicas: 3, paused: false }), 'a');
      const err = caught(() => apply(a, config({ replicas: 5, paused: true }), 'b'));
      expect(err.message).to.equal('Apply failed with 2 conflicts: conflicts with "a":\n- .spec.paused\n- .spec.replicas');
      expect(err.details?.causes).to.have.length(2);
    });

    it('the same value is shared, not a conflict; the field stays while either owner applies it', () => {
      const a = apply({}, config({ replicas: 3 }), 'a');
      const ab = apply(a, config({ replicas: 3 }), 'b');
      expect(managers(ab)).to.deep.equal(['a/Apply', 'b/Apply']);
      const aLeft = apply(ab, config({}), 'a');
      expect(aLeft.spec.replicas).to.equal(3);
      const bothLeft = apply(aLeft, config({}), 'b');
      expect(bothLeft.spec).to.not.have.property('replicas');
    });

    it('force takes ownership; the old owner applying without the field does not remove it', () => {
      const a = apply({}, config({ replicas: 3, paused: true }), 'a');
      const b = apply(a, config({ replicas: 5 }), 'b', { force: true });
      expect(b.spec.replicas).to.equal(5);
      expect(readManagedFields(b).find((e) => e.manager === 'a')!.fields.has(['f:spec', 'f:replicas'])).to.equal(false);
      expect(readManagedFields(b).find((e) => e.manager === 'b')!.fields.has(['f:spec', 'f:replicas'])).to.equal(true);
      const aAgain = apply(b, config({ paused: true }), 'a');
      expect(aAgain.spec).to.deep.equal({ replicas: 5, paused: true });
    });

    it('merges containers by name: each manager owns and removes only its own container', () => {
      const a = apply({}, config(template(container('web', 'nginx'))), 'a');
      const ab = apply(a, config({ template: { spec: { containers: [container('sidecar', 'envoy')] } } }), 'b');
      expect(ab.spec.template.spec.containers.map((c: any) => c.name)).to.deep.equal(['web', 'sidecar']);
      const aFields = readManagedFields(ab).find((e) => e.manager === 'a')!.fields;
      const bFields = readManagedFields(ab).find((e) => e.manager === 'b')!.fields;
      const containers = ['f:spec', 'f:template', 'f:spec', 'f:containers'];
      expect(aFields.has([...containers, 'k:{"name":"web"}', 'f:image'])).to.equal(true);
      expect(bFields.has([...containers, 'k:{"name":"sidecar"}', 'f:image'])).to.equal(true);
      expect(aFields.hasSelfOrDescendant([...containers, 'k:{"name":"sidecar"}'])).to.equal(false);
      // b changing a's image is a conflict naming the element by key.
      const err = caught(() => apply(ab, config({ template: { spec: { containers: [container('web', 'httpd')] } } }), 'b'));
      expect(err.message).to.equal('Apply failed with 1 conflict: conflict with "a": .spec.template.spec.containers[name="web"].image');
      // b dropping its sidecar removes it, and only it.
      const bLeft = apply(ab, config({}), 'b');
      expect(bLeft.spec.template.spec.containers).to.deep.equal([container('web', 'nginx')]);
    });

    it('an Update by kubectl-scale then an apply of a different replicas by kubectl is a conflict', () => {
      const applied = apply({}, config({ replicas: 1, ...template(container('web', 'nginx')) }), 'kubectl');
      const scaled = applyPatch(applied, MERGE_PATCH_TYPE, '{"spec":{"replicas":4}}', DEPLOY);
      const recorded = recordUpdate(applied, scaled, 'kubectl-scale', 'apps/v1', T1) as any;
      expect(managers(recorded)).to.deep.equal(['kubectl/Apply', 'kubectl-scale/Update']);
      expect(entry(recorded, 'kubectl-scale').fieldsV1).to.deep.equal({ 'f:spec': { 'f:replicas': {} } });
      expect(readManagedFields(recorded)[0]!.fields.has(['f:spec', 'f:replicas'])).to.equal(false);
      const err = caught(() => applyPatch(recorded, APPLY_PATCH_TYPE, JSON.stringify(config({ replicas: 2, ...template(container('web', 'nginx')) })), { ...DEPLOY, fieldManager: 'kubectl' }));
      expect(err.message).to.equal('Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
      // Applying the value the scaler set is no conflict.
      const same = applyPatch(recorded, APPLY_PATCH_TYPE, JSON.stringify(config({ replicas: 4, ...template(container('web', 'nginx')) })), { ...DEPLOY, fieldManager: 'kubectl', now: T1 });
      expect((same as any).spec.replicas).to.equal(4);
    });
  });

  describe('recordUpdate', () => {
    it('records a create as an Update entry owning every field but system metadata', () => {
      const out = recordUpdate({}, config({ replicas: 1 }, { labels: { a: '1' }, uid: 'u', resourceVersion: '5' }), 'kubectl-create', 'apps/v1', T0) as any;
      expect(out.metadata.managedFields).to.deep.equal([
        {
          manager: 'kubectl-create',
          operation: 'Update',
          apiVersion: 'apps/v1',
          time: '2024-05-01T12:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } }, 'f:spec': { 'f:replicas': {} } },
        },
      ]);
    });

    it('an unchanged write keeps managedFields as they were; removed fields leave every entry', () => {
      const created = recordUpdate({}, config({ replicas: 1, paused: true }), 'x', 'apps/v1', T0) as any;
      expect(recordUpdate(created, created, 'y', 'apps/v1', T1)).to.deep.equal(created);
      const next = JSON.parse(JSON.stringify(created));
      delete next.spec.paused;
      const out = recordUpdate(created, next, 'y', 'apps/v1', T1) as any;
      expect(managers(out)).to.deep.equal(['x/Update']);
      expect(entry(out, 'x').fieldsV1).to.deep.equal({ 'f:spec': { 'f:replicas': {} } });
    });

    it('managedFields sent with the write replace the stored ones; [{}] clears them', () => {
      const created = recordUpdate({}, config({ replicas: 1 }), 'x', 'apps/v1', T0) as any;
      const cleared = recordUpdate(created, { ...created, metadata: { ...created.metadata, managedFields: [{}] } }, 'y', 'apps/v1', T1) as any;
      expect(cleared.metadata).to.not.have.property('managedFields');
    });
  });

  it('applyPatch refuses force with other patch types', () => {
    expect(caught(() => applyPatch({}, MERGE_PATCH_TYPE, '{}', { ...DEPLOY, force: true })).code).to.equal(400);
  });
});
