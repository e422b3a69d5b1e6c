import { expect } from 'chai';
import { ForbiddenError, InvalidError } from '../../../../lib/api/errors';
import type { ResourceInfo } from '../../../../lib/api/object';
import type { Namespace, Pod, PodSpec } from '../../../../lib/api/types/core';
import { requestAuditAnnotations, requestWarnings, withRequestContext } from '../../authn/request-user';
import { namespacePolicy } from './namespace-policy';
import { AUDIT_VIOLATIONS_ANNOTATION, PodSecurityAdmission } from './pod-security';
import { describeViolations, podSecurityViolations } from './pod-security-checks';

const PODS: ResourceInfo = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } as ResourceInfo;
const NAMESPACES: ResourceInfo = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false } as ResourceInfo;
const DEPLOYMENTS: ResourceInfo = { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true } as ResourceInfo;

/** What a restricted pod needs, in its container's securityContext. */
const RESTRICTED_CONTAINER_SC = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
const plain = (name = 'web'): PodSpec => ({ containers: [{ name, image: 'busybox' }] });
const describe_ = (level: 'baseline' | 'restricted', spec: PodSpec, annotations?: Record<string, string>) => describeViolations(podSecurityViolations(level, { name: 'p', annotations }, spec));

describe('PodSecurity checks (the Pod Security Standards)', () => {
  it('restricted: a pod with no security context fails the four checks, worded as Kubernetes words them', () => {
    expect(describe_('restricted', plain())).to.equal(
      'allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "web" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    expect(describe_('baseline', plain()), 'baseline allows it').to.equal('');
  });

  it('restricted: a compliant pod passes; pod-level settings count for every container', () => {
    expect(describe_('restricted', { containers: [{ name: 'a', image: 'x', securityContext: RESTRICTED_CONTAINER_SC }] })).to.equal('');
    const podLevel: PodSpec = { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Localhost' } }, containers: [{ name: 'a', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }] };
    expect(describe_('restricted', podLevel)).to.equal('');
  });

  it('baseline: privileged, host namespaces, hostPath, hostPorts and added capabilities, in Kubernetes order', () => {
    const spec = {
      hostNetwork: true,
      hostPID: true,
      volumes: [{ name: 'root', hostPath: { path: '/' } }, { name: 'cfg', configMap: { name: 'c' } }],
      containers: [
        { name: 'a', ports: [{ containerPort: 80, hostPort: 8080 }], securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN', 'CHOWN'] } } },
        { name: 'b', ports: [{ containerPort: 81, hostPort: 443 }] },
      ],
    } as unknown as PodSpec;
    expect(describe_('baseline', spec)).to.equal(
      'non-default capabilities (container "a" must not include "NET_ADMIN" in securityContext.capabilities.add), ' +
        'host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume "root"), ' +
        'hostPort (containers "a", "b" use hostPorts 443, 8080), privileged (container "a" must not set securityContext.privileged=true)',
    );
  });

  it('restricted replaces baseline checks it tightens: volume types instead of hostPath, capabilities, seccomp', () => {
    const spec = { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Unconfined' } }, volumes: [{ name: 'h', hostPath: { path: '/x' } }, { name: 'n', nfs: { server: 's', path: '/' } }], containers: [{ name: 'a', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } } }] } as unknown as PodSpec;
    expect(describe_('restricted', spec)).to.equal(
      'unrestricted capabilities (container "a" must not include "SYS_ADMIN" in securityContext.capabilities.add), ' +
        'restricted volume types (volumes "h", "n" use restricted volume types "hostPath", "nfs"), ' +
        'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")',
    );
  });

  it('baseline: unsafe sysctls, Unmasked procMount, Unconfined seccomp and AppArmor, SELinux type and user, root user only at restricted', () => {
    const spec = {
      securityContext: { sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }, { name: 'kernel.msgmax', value: '1' }], seLinuxOptions: { type: 'spc_t', user: 'root' }, runAsUser: 0 },
      containers: [{ name: 'a', securityContext: { procMount: 'Unmasked', seccompProfile: { type: 'Unconfined' } } }],
    } as unknown as PodSpec;
    expect(describe_('baseline', spec, { 'container.apparmor.security.beta.kubernetes.io/a': 'unconfined' })).to.equal(
      'forbidden AppArmor profile (annotation container.apparmor.security.beta.kubernetes.io/a="unconfined" must not set AppArmor profile type to "unconfined"), ' +
        'procMount (container "a" must not set securityContext.procMount to "Unmasked"), ' +
        'seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set), ' +
        'seccompProfile (container "a" must not set securityContext.seccompProfile.type to "Unconfined"), forbidden sysctls (kernel.msgmax)',
    );
    expect(describe_('restricted', spec)).to.include('runAsUser=0 (pod must not set runAsUser=0)');
  });

  it('reads the namespace labels, defaulting to privileged:latest, and names invalid values', () => {
    expect(namespacePolicy(undefined).policy.enforce).to.deep.equal({ level: 'privileged', version: 'latest' });
    const { policy, errors } = namespacePolicy({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'strict', 'pod-security.kubernetes.io/audit-version': '1.30' });
    expect(policy.enforce).to.deep.equal({ level: 'baseline', version: 'latest' });
    expect(policy.warn.level, 'an invalid level fails safe').to.equal('restricted');
    expect(errors.map((e) => `${e.field}: ${e.message}`)).to.deep.equal([
      'metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: "1.30": must be "latest" or "v1.x"',
      'metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "strict": must be one of privileged, baseline, restricted',
    ]);
  });
});

describe('PodSecurity admission', () => {
  const namespaces = new Map<string, Namespace>();
  const pods: Pod[] = [];
  const admission = new PodSecurityAdmission({ namespace: async (n) => namespaces.get(n), pods: async (n) => pods.filter((p) => p.metadata.namespace === n) });
  const ns = (name: string, labels: Record<string, string>): Namespace => {
    const made = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } as Namespace;
    namespaces.set(name, made);
    return made;
  };
  const pod = (name: string, namespace: string, spec: PodSpec = plain()): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec });
  const inRequest = <T>(fn: () => Promise<T>) => withRequestContext(async () => ({ result: await fn(), warnings: requestWarnings(), audit: requestAuditAnnotations() }));

  it('enforce refuses a pod that fails the level with 403 naming the policy and every failure', async () => {
    ns('locked', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const err = await admission.admitCreate(PODS, 'locked', pod('p', 'locked')).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ForbiddenError);
    expect((err as Error).message).to.match(/^pods "p" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(container "web"/);
    await admission.admitCreate(PODS, 'locked', pod('ok', 'locked', { containers: [{ name: 'a', securityContext: RESTRICTED_CONTAINER_SC }] }));
  });

  it('warn and audit let the write through, with a warning and an audit annotation — for pods and pod templates', async () => {
    ns('watched', { 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/warn-version': 'v1.32', 'pod-security.kubernetes.io/audit': 'restricted' });
    const privileged: PodSpec = { containers: [{ name: 'a', securityContext: { privileged: true } }] };
    const r = await inRequest(() => admission.admitCreate(PODS, 'watched', pod('p', 'watched', privileged)));
    expect(r.warnings).to.deep.equal(['would violate PodSecurity "baseline:v1.32": privileged (container "a" must not set securityContext.privileged=true)']);
    expect(r.audit?.[AUDIT_VIOLATIONS_ANNOTATION]).to.match(/^would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'watched' }, spec: { template: { metadata: {}, spec: privileged } } };
    const d = await inRequest(() => admission.admitCreate(DEPLOYMENTS, 'watched', deployment));
    expect(d.warnings).to.have.length(1);
    // An update that leaves the template alone (a scale) warns no more.
    const scaled = { ...deployment, spec: { ...deployment.spec, replicas: 3 } };
    expect((await inRequest(() => admission.admitUpdate(DEPLOYMENTS, 'watched', scaled, deployment))).warnings).to.deep.equal([]);
  });

  it('a pod update is checked only when containers, images or security contexts change', async () => {
    ns('strict', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const old = pod('legacy', 'strict');
    const relabelled = { ...old, metadata: { ...old.metadata, labels: { a: 'b' } } };
    await admission.admitUpdate(PODS, 'strict', relabelled, old);
    const newImage = { ...old, spec: { containers: [{ name: 'web', image: 'busybox:2' }] } };
    expect(await admission.admitUpdate(PODS, 'strict', newImage, old).catch((e: unknown) => e)).to.be.instanceOf(ForbiddenError);
  });

  it('validates namespace labels (422), and warns about existing pods when enforce tightens', async () => {
    const bad = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels: { 'pod-security.kubernetes.io/enforce': 'high' } } };
    const err = await admission.admitCreate(NAMESPACES, undefined, bad).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InvalidError);
    expect((err as Error).message).to.equal('Namespace "x" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "high": must be one of privileged, baseline, restricted');
    const before = ns('apps', {});
    pods.push(pod('b-pod', 'apps'), pod('a-pod', 'apps'), pod('c-priv', 'apps', { containers: [{ name: 'a', securityContext: { privileged: true } }] }));
    const after = { ...before, metadata: { ...before.metadata, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } };
    const r = await inRequest(() => admission.admitUpdate(NAMESPACES, undefined, after, before));
    expect(r.warnings).to.deep.equal([
      'existing pods in namespace "apps" violate the new PodSecurity enforce level "restricted:latest"',
      // Sorted by the failures, the reasons in the checks' order.
      'c-priv: allowPrivilegeEscalation != false, unrestricted capabilities, privileged, runAsNonRoot != true, seccompProfile',
      'a-pod (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
    ]);
    // Relaxing never warns.
    expect((await inRequest(() => admission.admitUpdate(NAMESPACES, undefined, before, after))).warnings).to.deep.equal([]);
  });
});
