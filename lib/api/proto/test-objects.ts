/**
 * Test support: API objects that use the whole of Kubernetes' Node, Pod, Event, Endpoints and
 * Lease messages, written the way a real cluster shows them (`kubectl get -o json`). The Pod
 * spec carries every default the apiserver fills in, so a write reads back unchanged. Shared by
 * the converter's golden round trips and the end-to-end tests of both doors. Each function
 * returns a fresh copy. Not used outside tests.
 */
import type { JsonObject } from './convert';

/** A worker Node with taints, capacity, allocatable, conditions, addresses, images, nodeInfo, daemon endpoints and more. */
export function fullNode(name = 'worker-1'): JsonObject {
  const hb = '2024-05-01T12:00:00Z';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'topology.kubernetes.io/zone': 'zone-a' },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {
      podCIDR: '10.42.1.0/24',
      podCIDRs: ['10.42.1.0/24'],
      providerID: `bosun://${name}`,
      taints: [
        { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
        { key: 'dedicated', value: 'gpu', effect: 'NoExecute', timeAdded: '2024-05-01T11:00:00Z' },
      ],
      configSource: { configMap: { namespace: 'kube-system', name: 'kubelet-config', kubeletConfigKey: 'kubelet' } },
    },
    status: {
      capacity: { cpu: '4', memory: '8148348Ki', pods: '110', 'ephemeral-storage': '102626232Ki', 'hugepages-2Mi': '0' },
      allocatable: { cpu: '3800m', memory: '7943548Ki', pods: '110', 'ephemeral-storage': '94580335255', 'hugepages-2Mi': '0' },
      phase: 'Running',
      conditions: [
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: hb, lastTransitionTime: hb, reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
        { type: 'DiskPressure', status: 'False', lastHeartbeatTime: hb, lastTransitionTime: hb, reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
        { type: 'PIDPressure', status: 'False', lastHeartbeatTime: hb, lastTransitionTime: hb, reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
        { type: 'Ready', status: 'True', lastHeartbeatTime: hb, lastTransitionTime: hb, reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      addresses: [{ type: 'InternalIP', address: '172.18.0.2' }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '6e9f1d8c9b2a4f0e8d7c6b5a49382716', systemUUID: '4c4c4544-0042-3510-8058-b4c04f4d4e32', bootID: 'f0e1d2c3-b4a5-4968-8776-655443322110',
        kernelVersion: '6.8.0-45-generic', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.18',
        kubeletVersion: 'v1.32.0', kubeProxyVersion: 'v1.32.0', operatingSystem: 'linux', architecture: 'amd64', swap: { capacity: 0 },
      },
      images: [
        { names: ['registry.k8s.io/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097', 'registry.k8s.io/pause:3.10'], sizeBytes: 320368 },
        { names: ['docker.io/library/nginx:1.27'], sizeBytes: 72995467 },
      ],
      volumesInUse: ['kubernetes.io/csi/csi.example.com^vol-1'],
      volumesAttached: [{ name: 'kubernetes.io/csi/csi.example.com^vol-1', devicePath: '' }],
      config: {
        assigned: { configMap: { namespace: 'kube-system', name: 'kubelet-config', uid: 'c0ffee00-0000-4000-8000-000000000001', resourceVersion: '42', kubeletConfigKey: 'kubelet' } },
        active: { configMap: { namespace: 'kube-system', name: 'kubelet-config', uid: 'c0ffee00-0000-4000-8000-000000000001', resourceVersion: '42', kubeletConfigKey: 'kubelet' } },
      },
      runtimeHandlers: [
        { name: '', features: { recursiveReadOnlyMounts: true, userNamespaces: true } },
        { name: 'runc', features: { recursiveReadOnlyMounts: true, userNamespaces: false } },
      ],
      features: { supplementalGroupsPolicy: true },
    },
  };
}

/** The scheduling parts of a pod spec: affinity, tolerations, topology spread, overhead, gates, priority. */
function schedulingSpec(): JsonObject {
  return {
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{
            matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }],
            matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['worker-9'] }],
          }],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 50, preference: { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a'] }] } },
        ],
      },
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'kubernetes.io/hostname' }],
        preferredDuringSchedulingIgnoredDuringExecution: [{
          weight: 10,
          podAffinityTerm: {
            labelSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
            namespaces: ['default'], topologyKey: 'topology.kubernetes.io/zone', matchLabelKeys: ['pod-template-hash'],
          },
        }],
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, namespaceSelector: {}, topologyKey: 'kubernetes.io/hostname' }],
      },
    },
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      { operator: 'Exists' },
    ],
    topologySpreadConstraints: [{
      maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } },
      minDomains: 2, nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Ignore', matchLabelKeys: ['pod-template-hash'],
    }],
    priorityClassName: 'high-priority',
    priority: 1000,
    preemptionPolicy: 'PreemptLowerPriority',
    runtimeClassName: 'kata',
    overhead: { cpu: '100m', memory: '32Mi' },
    readinessGates: [{ conditionType: 'example.com/feature-1' }],
    schedulingGates: [{ name: 'example.com/quota' }],
    resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'gpu-template' }],
  };
}

/** Volumes of hostPath, emptyDir, configMap, secret, projected, persistentVolumeClaim, downwardAPI, nfs, csi and ephemeral sources. */
function volumes(): JsonObject[] {
  return [
    { name: 'host-logs', hostPath: { path: '/var/log', type: 'Directory' } },
    { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    { name: 'config', configMap: { name: 'app-config', items: [{ key: 'app.yaml', path: 'app.yaml' }], defaultMode: 420, optional: true } },
    { name: 'tls', secret: { secretName: 'app-tls', defaultMode: 256 } },
    {
      name: 'token',
      projected: {
        sources: [
          { serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
        defaultMode: 420,
      },
    },
    { name: 'data', persistentVolumeClaim: { claimName: 'app-data', readOnly: true } },
    {
      name: 'podinfo',
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
          { path: 'cpu_limit', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } },
        ],
        defaultMode: 420,
      },
    },
    { name: 'shared', nfs: { server: 'nfs.example.com', path: '/exports/shared', readOnly: true } },
    { name: 'secrets-store', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: 'app' }, nodePublishSecretRef: { name: 'csi-creds' } } },
    {
      name: 'cache',
      ephemeral: {
        volumeClaimTemplate: {
          metadata: { labels: { type: 'cache' } },
          spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
        },
      },
    },
  ];
}

/** A PodSpec using the scheduling fields and every common volume source, with the apiserver's defaults already in. */
export function fullPodSpec(): JsonObject {
  return {
    volumes: volumes(),
    containers: [{
      name: 'app',
      image: 'registry.example/app:1.2.3',
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
      resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m', memory: '128Mi' }, claims: [{ name: 'gpu' }] },
      volumeMounts: [
        { name: 'config', readOnly: true, mountPath: '/etc/app' },
        { name: 'data', mountPath: '/data' },
        { name: 'cache', mountPath: '/cache' },
      ],
      readinessProbe: { httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'IfNotPresent',
    }],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'app',
    serviceAccount: 'app',
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } },
    hostname: 'app-0',
    subdomain: 'app',
    schedulerName: 'default-scheduler',
    hostAliases: [{ ip: '10.0.0.10', hostnames: ['db.local'] }],
    dnsConfig: { nameservers: ['10.43.0.10'], searches: ['app.svc.cluster.local'], options: [{ name: 'ndots', value: '2' }] },
    enableServiceLinks: true,
    os: { name: 'linux' },
    ...schedulingSpec(),
  };
}

/** A running pod's status as its node agent and the scheduler write it. */
export function fullPodStatus(): JsonObject {
  const t = '2024-05-01T12:00:00Z';
  return {
    phase: 'Running',
    conditions: [
      { type: 'example.com/feature-1', status: 'True', lastTransitionTime: t },
      { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: t },
      { type: 'Initialized', status: 'True', lastTransitionTime: t },
      { type: 'Ready', status: 'True', lastTransitionTime: t },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
    ],
    hostIP: '172.18.0.2',
    hostIPs: [{ ip: '172.18.0.2' }],
    podIP: '10.42.1.7',
    podIPs: [{ ip: '10.42.1.7' }],
    startTime: t,
    containerStatuses: [{
      name: 'app',
      state: { running: { startedAt: '2024-05-01T12:00:05Z' } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2024-05-01T11:00:00Z', finishedAt: '2024-05-01T12:00:04Z', containerID: 'containerd://0123abcd' } },
      ready: true,
      restartCount: 1,
      image: 'registry.example/app:1.2.3',
      imageID: 'registry.example/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      containerID: 'containerd://4567ef01',
      started: true,
    }],
    qosClass: 'Burstable',
    resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'web-gpu-7x9k2' }],
  };
}

/** A core/v1 Event with every field: series, related, reportingComponent/Instance, eventTime. */
export function fullEvent(namespace = 'default'): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-1.17c8a0d6a8b5c4e3', namespace },
    involvedObject: { kind: 'Pod', namespace, name: 'web-1', uid: 'a1b2c3d4-0000-4000-8000-000000000001', apiVersion: 'v1', resourceVersion: '123', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled',
    message: 'Successfully pulled image "registry.example/app:1.2.3" in 1.2s',
    source: { component: 'kubelet', host: 'worker-1' },
    firstTimestamp: '2024-05-01T12:00:00Z',
    lastTimestamp: '2024-05-01T12:05:00Z',
    count: 3,
    type: 'Normal',
    eventTime: '2024-05-01T12:00:00.123456Z',
    series: { count: 2, lastObservedTime: '2024-05-01T12:05:00.654321Z' },
    action: 'Pulling',
    related: { kind: 'Node', name: 'worker-1', uid: 'a1b2c3d4-0000-4000-8000-000000000002', apiVersion: 'v1' },
    reportingComponent: 'bosun-node-agent',
    reportingInstance: 'worker-1',
  };
}

/** Endpoints with ready and not-ready addresses (targetRef, nodeName, hostname) and named ports. */
export function fullEndpoints(namespace = 'default'): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace, labels: { app: 'web' } },
    subsets: [{
      addresses: [{ ip: '10.42.1.7', hostname: 'web-0', nodeName: 'worker-1', targetRef: { kind: 'Pod', namespace, name: 'web-0', uid: 'a1b2c3d4-0000-4000-8000-000000000003' } }],
      notReadyAddresses: [{ ip: '10.42.2.9', nodeName: 'worker-2', targetRef: { kind: 'Pod', namespace, name: 'web-1', uid: 'a1b2c3d4-0000-4000-8000-000000000004' } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }, { name: 'metrics', port: 9090, protocol: 'TCP' }],
    }],
  };
}

/** A node's heartbeat Lease (kube-node-lease), with MicroTime acquire and renew times. */
export function fullLease(name = 'worker-1'): JsonObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: 'a1b2c3d4-0000-4000-8000-000000000005' }] },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, acquireTime: '2024-05-01T11:00:00.000000Z', renewTime: '2024-05-01T12:00:10.500000Z', leaseTransitions: 1 },
  };
}
