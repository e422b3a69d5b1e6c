import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { PersistentVolumeClaim } from '../../../lib/api/types/core';
import { defaultStorageClass, type StorageClass } from '../../../lib/api/types/storage';
import { isResource, type AdmissionPlugin } from './admission';

/**
 * Kubernetes' DefaultStorageClass admission: a PersistentVolumeClaim created without
 * spec.storageClassName gets the class annotated `storageclass.kubernetes.io/is-default-class:
 * "true"` (the newest, then the first by name, when several are). An explicit "" means "no
 * class" and is left alone, as is every claim when no class is the default.
 */
export class DefaultStorageClass implements AdmissionPlugin {
  /** `classes` lists the StorageClasses the watch cache holds. */
  constructor(private readonly classes: () => Promise<readonly StorageClass[]>) {}

  async admitCreate(info: ResourceInfo, _namespace: string | undefined, obj: KubeObject): Promise<void> {
    if (!isResource(info, '', 'persistentvolumeclaims')) return;
    const claim = obj as PersistentVolumeClaim;
    if (claim.spec?.storageClassName !== undefined && claim.spec.storageClassName !== null) return;
    const chosen = defaultStorageClass(await this.classes());
    if (chosen?.metadata.name) (claim.spec ??= {}).storageClassName = chosen.metadata.name;
  }
}
