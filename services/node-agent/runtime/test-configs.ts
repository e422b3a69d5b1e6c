/** The smallest valid configs for runtime tests (conformance, per-runtime tests): one place, so every runtime is fed alike. */
import { LABEL_CONTAINER_NAME, type ContainerConfig } from './runtime';

/** A container `name` running `command` in `image`: no env, mounts or limits; first attempt, log at `<name>/0.log`. */
export function minimalContainerConfig(name: string, image: string, command: string[], overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    metadata: { name, attempt: 0 },
    image,
    command,
    args: [],
    envs: [],
    mounts: [],
    labels: { [LABEL_CONTAINER_NAME]: name },
    annotations: {},
    logPath: `${name}/0.log`,
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: { resources: {}, security: {} },
    ...overrides,
  };
}
