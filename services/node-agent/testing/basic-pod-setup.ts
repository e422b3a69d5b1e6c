/**
 * A minimal {@link PodSetup}: no volumes, plain env values only (valueFrom is skipped), the
 * container's command and args as written, no DNS config. Unit tests use it to drive the pod
 * worker's state machine, and `bosun node-agent` uses it until the real env/volume/DNS rules
 * (services/node-agent/pod-setup/) are wired in by the integrator.
 */
import * as path from 'node:path';
import type { Container, Pod } from '../../../lib/api/types';
import type { ContainerRuntimeFacts, PodSetup } from '../pod-setup/pod-setup';
import type { ContainerConfig, PodSandboxConfig, PortMapping } from '../runtime/runtime';

export class BasicPodSetup implements PodSetup {
  /** Pods' logs go under `<logRoot>/<namespace>_<name>_<uid>/`. */
  constructor(private readonly logRoot: string) {}

  async setUpVolumes(_pod: Pod): Promise<void> {}

  async tearDownVolumes(_podUid: string): Promise<void> {}

  sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    const m = pod.metadata;
    const ports: PortMapping[] = (pod.spec?.containers ?? []).flatMap((c) =>
      (c.ports ?? []).map((p) => ({ protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'], containerPort: p.containerPort ?? 0, hostPort: p.hostPort, hostIp: p.hostIP })),
    );
    return {
      metadata: { name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '', attempt },
      hostname: (pod.spec?.hostname as string | undefined) ?? m.name ?? '',
      logDirectory: path.join(this.logRoot, `${m.namespace ?? ''}_${m.name ?? ''}_${m.uid ?? ''}`),
      portMappings: ports,
      labels: { ...(m.labels ?? {}) },
      annotations: { ...(m.annotations ?? {}) },
      linux: { hostNetwork: pod.spec?.hostNetwork === true },
    };
  }

  async containerConfig(_pod: Pod, container: Container, facts: ContainerRuntimeFacts): Promise<ContainerConfig> {
    const name = container.name ?? '';
    return {
      metadata: { name, attempt: facts.attempt },
      image: container.image ?? '',
      command: [...(container.command ?? [])],
      args: [...(container.args ?? [])],
      workingDir: container.workingDir,
      envs: (container.env ?? []).filter((e) => e.name && e.value !== undefined).map((e) => ({ key: e.name!, value: e.value! })),
      mounts: [],
      labels: {},
      annotations: {},
      logPath: `${name}/${facts.attempt}.log`,
      stdin: container.stdin === true,
      stdinOnce: container.stdinOnce === true,
      tty: container.tty === true,
      linux: { resources: {}, security: {} },
    };
  }
}
