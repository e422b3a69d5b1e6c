import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KubectlCluster } from './support/kubectl-cluster';

/** A pod that meets the restricted level. */
const RESTRICTED_POD = `apiVersion: v1
kind: Pod
metadata:
  name: hardened
  namespace: psa-strict
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: busybox
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
`;

/**
 * PodSecurity admission through the real kubectl against `bosun up`: namespace labels choose
 * the level; enforce refuses, warn reaches kubectl as `Warning:` lines, bad labels are refused.
 */
describe('PodSecurity admission through kubectl', function () {
  this.timeout(120_000);
  let c: KubectlCluster;

  before(async () => {
    c = await KubectlCluster.shared();
  });

  after(async () => {
    if (c) await c.release();
  });

  it('enforce=restricted refuses a plain pod with every failed check, and admits a hardened one', async () => {
    await c.ok('create', 'namespace', 'psa-strict');
    await c.ok('label', 'namespace', 'psa-strict', 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted');
    const refused = await c.fails('run', 'plain', '--image=busybox', '-n', 'psa-strict');
    expect(refused).to.include(
      'Error from server (Forbidden): pods "plain" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "plain" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "plain" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "plain" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "plain" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    const file = path.join(c.dir, 'hardened.yaml');
    fs.writeFileSync(file, RESTRICTED_POD);
    expect(await c.ok('apply', '-f', file)).to.equal('pod/hardened created\n');
  });

  it('warn: a Deployment whose pods would fail is created, and kubectl prints the warning', async () => {
    const r = await c.kubectl(['create', 'deployment', 'loose', '--image=busybox', '-n', 'psa-strict']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('deployment.apps/loose created\n');
    expect(r.stderr).to.match(/^Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(container "busybox" must set/m);
  });

  it('an invalid level label is refused (422); tightening enforce warns about the pods already there', async () => {
    const invalid = await c.fails('label', 'namespace', 'psa-strict', 'pod-security.kubernetes.io/enforce=strictest', '--overwrite');
    expect(invalid).to.include('metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strictest": must be one of privileged, baseline, restricted');
    await c.ok('create', 'namespace', 'psa-tighten');
    await c.ok('run', 'old', '--image=busybox', '-n', 'psa-tighten');
    const r = await c.kubectl(['label', 'namespace', 'psa-tighten', 'pod-security.kubernetes.io/enforce=restricted']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include('Warning: existing pods in namespace "psa-tighten" violate the new PodSecurity enforce level "restricted:latest"');
    expect(r.stderr).to.include('Warning: old: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile');
  });
});
