import type { KubeObject } from '../../../lib/api/object';
import { localPathStorageClass } from '../../../lib/volume/local-path';
import type { ResourceRest } from '../rest/resource-rest';
import { ensureObjects } from './ensure-objects';

/**
 * Creates the default StorageClass `local-path` (provisioner bosun.io/local-path, served by the
 * node agents) when missing, through the storageclasses resource `rest`; see ensureObjects. An
 * existing class of that name is left as it is. Returns the names this call created.
 */
export async function ensureDefaultStorageClass(rest: ResourceRest): Promise<string[]> {
  return ensureObjects(rest, [localPathStorageClass() as KubeObject]);
}
