import type { Strategy } from '../../registry/strategy';
import { configMapStrategy } from './configmap';
import { endpointsStrategy } from './endpoints';
import { eventStrategy } from './event';
import { namespaceStrategy } from './namespace';
import { nodeStrategy } from './node';
import { persistentVolumeStrategy } from './persistent-volume';
import { persistentVolumeClaimStrategy } from './persistent-volume-claim';
import { podStrategy } from './pod';
import { replicationControllerStrategy } from './replication-controller';
import { resourceQuotaStrategy } from './resource-quota';
import { limitRangeStrategy } from './limit-range';
import { secretStrategy } from './secret';
import { serviceStrategy } from './service';
import { serviceAccountStrategy } from './service-account';

export { configMapStrategy, type ConfigMap } from './configmap';
export { endpointsStrategy, type Endpoints } from './endpoints';
export { DEFAULT_EVENT_TTL_SECONDS, eventStrategy, type Event } from './event';
export { KUBERNETES_FINALIZER, namespaceFinalizeStrategy, namespaceStrategy, type Namespace } from './namespace';
export { nodeStrategy, type Node } from './node';
export { persistentVolumeStrategy, type PersistentVolume } from './persistent-volume';
export { persistentVolumeClaimStrategy, type PersistentVolumeClaim } from './persistent-volume-claim';
export { podStrategy, type Pod } from './pod';
export { replicationControllerStrategy, type ReplicationController } from './replication-controller';
export { resourceQuotaStrategy, validateResourceQuota, type ResourceQuota } from './resource-quota';
export { limitRangeStrategy, validateLimitRange, type LimitRange } from './limit-range';
export { bindPod, podBindingStrategy, validateBinding, type Binding } from './pod-binding';
export { secretStrategy, type Secret } from './secret';
export { serviceStrategy, type Service } from './service';
export { serviceAccountStrategy, type ServiceAccount } from './service-account';
export {
  computeQosClass,
  defaultPodSpec,
  defaultPodTemplateSpec,
  validatePodSpec,
  validatePodTemplateSpec,
  type Container,
  type PodSpec,
  type PodTemplateSpec,
} from './pod-spec';

/** The strategies of every core/v1 kind Bosun serves. */
export const coreStrategies: Strategy[] = [
  namespaceStrategy,
  nodeStrategy,
  podStrategy,
  serviceStrategy,
  endpointsStrategy,
  configMapStrategy,
  secretStrategy,
  serviceAccountStrategy,
  eventStrategy,
  persistentVolumeStrategy,
  persistentVolumeClaimStrategy,
  replicationControllerStrategy,
  resourceQuotaStrategy,
  limitRangeStrategy,
];
