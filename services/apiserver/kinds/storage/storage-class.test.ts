import { expect } from 'chai';
import type { FieldError } from '../../../../lib/api/errors';
import { printerFor } from '../../../../lib/api/printers/table';
import { decodeObject, encodeObject } from '../../../../lib/api/proto/convert';
import { RESOURCES } from '../../../../lib/api/resources';
import type { PersistentVolumeClaim } from '../../../../lib/api/types/core';
import { localPathStorageClass } from '../../../../lib/volume/local-path';
import { DefaultStorageClass } from '../../admission/default-storage-class';
import { storageClassStrategy, storageStrategies, type StorageClass } from './index';

const lines = (errs: readonly FieldError[]) => errs.map((e) => `${e.field}: ${e.message}`);
const sc = (name: string, extra: Partial<StorageClass> = {}, meta: Partial<StorageClass['metadata']> = {}): StorageClass => ({
  apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, ...meta }, provisioner: 'example.com/disk', ...extra,
});
const claim = (storageClassName?: string | null): PersistentVolumeClaim => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(storageClassName !== undefined ? { storageClassName: storageClassName as string } : {}) },
});

describe('storage.k8s.io/v1 StorageClass', () => {
  it('is cluster-scoped with short name sc and no status; defaults reclaimPolicy Delete and volumeBindingMode Immediate', () => {
    expect(storageStrategies).to.deep.equal([storageClassStrategy]);
    expect(storageClassStrategy.info).to.deep.include({ group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', resource: 'storageclasses', namespaced: false, shortNames: ['sc'] });
    const c = sc('fast');
    storageClassStrategy.prepareForCreate(c);
    expect(c).to.deep.include({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    expect(storageClassStrategy.validate(c)).to.deep.equal([]);
    expect(storageClassStrategy.validate(localPathStorageClass())).to.deep.equal([]);
  });

  it('names each bad field', () => {
    const bad = sc('x', { provisioner: '', reclaimPolicy: 'Recycle' as never, volumeBindingMode: 'Later' as never, parameters: { k: 1 as never }, allowedTopologies: [{}] });
    expect(lines(storageClassStrategy.validate(bad))).to.deep.equal([
      'provisioner: Required value',
      'parameters[k]: Invalid value: 1: must be a string',
      'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
      'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
      'allowedTopologies[0].matchLabelExpressions: Required value: must have at least one label expression',
    ]);
    expect(lines(storageClassStrategy.validate(sc('x', { provisioner: 'not a name!' })))[0]).to.match(/^provisioner: Invalid value: "not a name!"/);
  });

  it('freezes provisioner, parameters, reclaimPolicy and volumeBindingMode; allowVolumeExpansion may change', () => {
    const old = sc('x', { reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    expect(storageClassStrategy.validateUpdate({ ...old, allowVolumeExpansion: true }, old)).to.deep.equal([]);
    const changed = { ...old, provisioner: 'other.io/x', parameters: { a: 'b' }, reclaimPolicy: 'Retain' as const, volumeBindingMode: 'WaitForFirstConsumer' as const };
    expect(lines(storageClassStrategy.validateUpdate(changed, old)).map((l) => l.split(':')[0])).to.deep.equal(['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode']);
  });

  it('prints NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE with (default)', () => {
    const ctx = { now: new Date('2026-01-01T00:10:00Z') };
    const p = printerFor('StorageClass', 'storage.k8s.io');
    expect(p.columns.map((c) => c.name)).to.deep.equal(['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age']);
    const lp = { ...localPathStorageClass(), metadata: { ...localPathStorageClass().metadata, creationTimestamp: '2026-01-01T00:00:00Z' } };
    expect(p.cells(lp, ctx)).to.deep.equal(['local-path (default)', 'bosun.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false', '10m']);
  });

  it('round-trips through protobuf', () => {
    const c = sc('x', { parameters: { a: 'b' }, reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true, mountOptions: ['ro'], allowedTopologies: [{ matchLabelExpressions: [{ key: 'zone', values: ['a'] }] }] });
    const { kind, bytes } = encodeObject(c as never);
    expect(decodeObject(kind, bytes)).to.deep.equal(c);
  });

  it('DefaultStorageClass admission fills a claim without storageClassName with the newest default class', async () => {
    const def = { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } };
    const plugin = new DefaultStorageClass(async () => [
      sc('old', {}, { ...def, creationTimestamp: '2026-01-01T00:00:00Z' }),
      sc('new', {}, { ...def, creationTimestamp: '2026-01-02T00:00:00Z' }),
      sc('plain', {}, { creationTimestamp: '2026-01-03T00:00:00Z' }),
    ]);
    const none = claim();
    await plugin.admitCreate(RESOURCES.persistentvolumeclaims, 'default', none);
    expect(none.spec?.storageClassName).to.equal('new');
    const explicit = claim('plain');
    await plugin.admitCreate(RESOURCES.persistentvolumeclaims, 'default', explicit);
    expect(explicit.spec?.storageClassName).to.equal('plain');
    const empty = claim('');
    await plugin.admitCreate(RESOURCES.persistentvolumeclaims, 'default', empty);
    expect(empty.spec?.storageClassName).to.equal('');
    const noDefault = claim();
    await new DefaultStorageClass(async () => [sc('plain')]).admitCreate(RESOURCES.persistentvolumeclaims, 'default', noDefault);
    expect(noDefault.spec?.storageClassName).to.equal(undefined);
  });
});
