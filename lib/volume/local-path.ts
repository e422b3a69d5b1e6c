/**
 * The names and on-disk layout of Bosun's local-path storage, shared by the apiserver (which
 * creates the default class at cluster start) and the node agent (which provisions and deletes
 * the volumes on its own disk). Modelled on k3s, which ships `local-path` as its default class.
 */
import * as path from 'node:path';
import type { StorageClass } from '../api/types/storage';
import { DEFAULT_STORAGE_CLASS_ANNOTATION } from '../api/types/storage';

/** The default StorageClass every cluster starts with. */
export const LOCAL_PATH_STORAGE_CLASS = 'local-path';
/** The provisioner of that class: the node agents, each for its own node. */
export const LOCAL_PATH_PROVISIONER = 'bosun.io/local-path';
/** The folder, under a node's data directory, that holds one folder per provisioned volume. */
export const LOCAL_PATH_VOLUMES_DIR = 'local-path-volumes';

/** The `local-path` class as the apiserver creates it: default, WaitForFirstConsumer, reclaim Delete. */
export function localPathStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_STORAGE_CLASS, annotations: { [DEFAULT_STORAGE_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: false,
  };
}

/**
 * The PV name for a claim: `pvc-<claim uid>`, as Kubernetes' external provisioners name theirs,
 * so a retried provisioning finds the volume it already made.
 */
export function provisionedVolumeName(claimUid: string): string {
  return `pvc-${claimUid}`;
}

/** Where a volume lives on its node: `<dataDir>/local-path-volumes/<pv name>_<namespace>_<claim>`. */
export function localPathVolumeDir(dataDir: string, pvName: string, namespace: string, claim: string): string {
  return path.join(dataDir, LOCAL_PATH_VOLUMES_DIR, `${pvName}_${namespace}_${claim}`);
}
