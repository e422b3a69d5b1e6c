import type { Strategy } from '../../registry/strategy';
import { storageClassStrategy } from './storage-class';

export * from './storage-class';

/** The registry strategies of the storage.k8s.io/v1 kinds. */
export const storageStrategies: Strategy[] = [storageClassStrategy] as Strategy[];
