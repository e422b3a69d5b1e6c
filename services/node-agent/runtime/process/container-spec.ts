/**
 * How a container's process is put together from its config and its image, by Kubernetes' rules
 * (pure functions): the argv (command/args over the image's entrypoint/cmd), the environment
 * (the image's, overridden by the container's), the user and the working directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerConfig } from '../runtime';
import type { ImageConfig } from './image-archive';

/**
 * Kubernetes' rule: command replaces the entrypoint (and drops the image's cmd), args replace
 * the cmd; with neither, the image's entrypoint + cmd.
 */
export function containerArgv(config: Pick<ContainerConfig, 'command' | 'args'>, image: ImageConfig): string[] {
  if (config.command.length > 0) return [...config.command, ...config.args];
  if (config.args.length > 0) return [...image.entrypoint, ...config.args];
  return [...image.entrypoint, ...image.cmd];
}

/** The image's environment overridden by the container's (same key: the container's value, in the image's position). */
export function containerEnv(config: Pick<ContainerConfig, 'envs'>, image: ImageConfig): string[] {
  const env = new Map<string, string>();
  for (const entry of image.env) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const { key, value } of config.envs) env.set(key, value);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export interface ProcessUser {
  uid: number;
  gid: number;
  groups: number[];
}

export class ContainerSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerSpecError';
  }
}

function lookup(file: string, name: string): string[] | undefined {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => f[0] === name);
  } catch {
    return undefined;
  }
}

/**
 * The user the process runs as: runAsUser/runAsGroup, else the image's `user[:group]` (numbers,
 * or names looked up in the image's /etc/passwd and /etc/group), else root.
 */
export function containerUser(config: Pick<ContainerConfig, 'linux'>, image: ImageConfig, rootfs: string): ProcessUser {
  const sec = config.linux.security;
  let uid = 0;
  let gid = 0;
  if (image.user) {
    const [u, g] = image.user.split(':');
    if (/^\d+$/.test(u)) uid = Number(u);
    else {
      const entry = lookup(path.join(rootfs, 'etc', 'passwd'), u);
      if (!entry) throw new ContainerSpecError(`image user "${u}" is not in the image's /etc/passwd`);
      uid = Number(entry[2]);
      gid = Number(entry[3]);
    }
    if (g !== undefined) {
      if (/^\d+$/.test(g)) gid = Number(g);
      else {
        const entry = lookup(path.join(rootfs, 'etc', 'group'), g);
        if (!entry) throw new ContainerSpecError(`image group "${g}" is not in the image's /etc/group`);
        gid = Number(entry[2]);
      }
    }
  }
  if (sec.runAsUser !== undefined) uid = sec.runAsUser;
  if (sec.runAsGroup !== undefined) gid = sec.runAsGroup;
  return { uid, gid, groups: sec.supplementalGroups ?? [] };
}

/** Checks the config's mounts: absolute container paths, host paths that exist. Throws naming the mount. */
export function validateMounts(mounts: ContainerConfig['mounts']): void {
  for (const m of mounts) {
    if (!path.isAbsolute(m.containerPath)) throw new ContainerSpecError(`mounts[${m.containerPath}].containerPath: must be an absolute path`);
    if (!fs.existsSync(m.hostPath)) throw new ContainerSpecError(`mounts[${m.containerPath}].hostPath: "${m.hostPath}" does not exist`);
  }
}

/** The working directory: the container's, else the image's, else `/`. */
export function containerCwd(config: Pick<ContainerConfig, 'workingDir'>, image: ImageConfig): string {
  return config.workingDir || image.workingDir || '/';
}
