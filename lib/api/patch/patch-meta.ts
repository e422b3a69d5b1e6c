// Written by scripts/k8s-patch-meta-extract.py from the +patchStrategy / +patchMergeKey
// comments of Kubernetes' generated.proto files (k8s.io/api, k8s.io/apimachinery): do not edit.

/** How a strategic merge patch treats one field (Go struct tags patchStrategy / patchMergeKey). */
export interface PatchFieldMeta {
  /** replace: the patch's value replaces the whole field (a map is not merged member by member). */
  strategy: 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';
  /** Key identifying list elements (lists of objects with strategy merge); absent for sets of primitives. */
  mergeKey?: string;
}

/**
 * Message full name (`k8s.io.api.core.v1.PodSpec`) -> JSON field name -> patch metadata. Members of
 * Go-inlined messages (see PATCH_INLINE_FIELDS) are also listed under the message that inlines them.
 */
export const PATCH_META: Readonly<Record<string, Readonly<Record<string, PatchFieldMeta>>>> = {
  'k8s.io.api.apps.v1.DaemonSetStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.apps.v1.DeploymentSpec': { 'strategy': { strategy: 'retainKeys' } },
  'k8s.io.api.apps.v1.DeploymentStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.apps.v1.ReplicaSetStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.apps.v1.StatefulSetStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.batch.v1.JobSchedulingConfiguration': { 'resourceClaims': { strategy: 'merge', mergeKey: 'name' } },
  'k8s.io.api.batch.v1.JobStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.core.v1.ComponentStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.core.v1.Container': { 'ports': { strategy: 'merge', mergeKey: 'containerPort' }, 'env': { strategy: 'merge', mergeKey: 'name' }, 'volumeMounts': { strategy: 'merge', mergeKey: 'mountPath' }, 'volumeDevices': { strategy: 'merge', mergeKey: 'devicePath' } },
  'k8s.io.api.core.v1.ContainerStatus': { 'volumeMounts': { strategy: 'merge', mergeKey: 'mountPath' }, 'allocatedResourcesStatus': { strategy: 'merge', mergeKey: 'name' } },
  'k8s.io.api.core.v1.EphemeralContainer': { 'ports': { strategy: 'merge', mergeKey: 'containerPort' }, 'env': { strategy: 'merge', mergeKey: 'name' }, 'volumeMounts': { strategy: 'merge', mergeKey: 'mountPath' }, 'volumeDevices': { strategy: 'merge', mergeKey: 'devicePath' } },
  'k8s.io.api.core.v1.EphemeralContainerCommon': { 'ports': { strategy: 'merge', mergeKey: 'containerPort' }, 'env': { strategy: 'merge', mergeKey: 'name' }, 'volumeMounts': { strategy: 'merge', mergeKey: 'mountPath' }, 'volumeDevices': { strategy: 'merge', mergeKey: 'devicePath' } },
  'k8s.io.api.core.v1.NamespaceStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.core.v1.NodeAllocatableResourceClaimStatus': { 'mapping': { strategy: 'merge', mergeKey: 'name' }, 'overhead': { strategy: 'merge', mergeKey: 'name' } },
  'k8s.io.api.core.v1.NodeSpec': { 'podCIDRs': { strategy: 'merge' } },
  'k8s.io.api.core.v1.NodeStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' }, 'addresses': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.core.v1.PersistentVolumeClaimStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.core.v1.PodSpec': { 'volumes': { strategy: 'merge,retainKeys', mergeKey: 'name' }, 'initContainers': { strategy: 'merge', mergeKey: 'name' }, 'containers': { strategy: 'merge', mergeKey: 'name' }, 'ephemeralContainers': { strategy: 'merge', mergeKey: 'name' }, 'imagePullSecrets': { strategy: 'merge', mergeKey: 'name' }, 'hostAliases': { strategy: 'merge', mergeKey: 'ip' }, 'topologySpreadConstraints': { strategy: 'merge', mergeKey: 'topologyKey' }, 'schedulingGates': { strategy: 'merge', mergeKey: 'name' }, 'resourceClaims': { strategy: 'merge,retainKeys', mergeKey: 'name' }, 'evictionResponders': { strategy: 'merge', mergeKey: 'name' } },
  'k8s.io.api.core.v1.PodStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' }, 'hostIPs': { strategy: 'merge', mergeKey: 'ip' }, 'podIPs': { strategy: 'merge', mergeKey: 'ip' }, 'resourceClaimStatuses': { strategy: 'merge,retainKeys', mergeKey: 'name' }, 'nodeAllocatableResourceClaimStatuses': { strategy: 'merge', mergeKey: 'resourceClaimName' } },
  'k8s.io.api.core.v1.PodVolumeHealth': { 'healthConditions': { strategy: 'merge', mergeKey: 'status' } },
  'k8s.io.api.core.v1.ReplicationControllerStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.core.v1.ServiceAccount': { 'secrets': { strategy: 'merge', mergeKey: 'name' } },
  'k8s.io.api.core.v1.ServiceSpec': { 'ports': { strategy: 'merge', mergeKey: 'port' } },
  'k8s.io.api.core.v1.ServiceStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.core.v1.VolumeHealthStatus': { 'healthConditions': { strategy: 'merge', mergeKey: 'status' } },
  'k8s.io.api.networking.v1.ServiceCIDRStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.policy.v1.PodDisruptionBudgetSpec': { 'selector': { strategy: 'replace' } },
  'k8s.io.api.policy.v1.PodDisruptionBudgetStatus': { 'conditions': { strategy: 'merge', mergeKey: 'type' } },
  'k8s.io.api.storage.v1.CSINodeSpec': { 'drivers': { strategy: 'merge', mergeKey: 'name' } },
  'k8s.io.api.storage.v1.CSINodeStatus': { 'storageHealth': { strategy: 'merge', mergeKey: 'name' } },
  'k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta': { 'ownerReferences': { strategy: 'merge', mergeKey: 'uid' }, 'finalizers': { strategy: 'merge' } },
};

/**
 * Message full name -> protobuf fields whose members Go inlines into the message's JSON
 * (embedded structs: VolumeSource in Volume, ProbeHandler in Probe, LocalObjectReference, ...).
 */
export const PATCH_INLINE_FIELDS: Readonly<Record<string, ReadonlyArray<string>>> = {
  'k8s.io.api.core.v1.ConfigMapEnvSource': ['localObjectReference'],
  'k8s.io.api.core.v1.ConfigMapKeySelector': ['localObjectReference'],
  'k8s.io.api.core.v1.ConfigMapProjection': ['localObjectReference'],
  'k8s.io.api.core.v1.ConfigMapVolumeSource': ['localObjectReference'],
  'k8s.io.api.core.v1.EphemeralContainer': ['ephemeralContainerCommon'],
  'k8s.io.api.core.v1.PersistentVolumeSpec': ['persistentVolumeSource'],
  'k8s.io.api.core.v1.Probe': ['handler'],
  'k8s.io.api.core.v1.SecretEnvSource': ['localObjectReference'],
  'k8s.io.api.core.v1.SecretKeySelector': ['localObjectReference'],
  'k8s.io.api.core.v1.SecretProjection': ['localObjectReference'],
  'k8s.io.api.core.v1.Volume': ['volumeSource'],
  'k8s.io.api.networking.v1.IngressRule': ['ingressRuleValue'],
};
