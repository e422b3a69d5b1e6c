/**
 * The command line of `bosun-monitor run` (native/bosun-monitor.c documents each flag) for one
 * container, from a plan the runtime makes. Pure, so the flags are tested without starting
 * anything.
 */
import * as path from 'node:path';
import type { Mount } from '../runtime';
import type { ProcessUser } from './container-spec';
import { DEFAULT_IMAGE_PATH } from './image-archive';

/** A container in its own namespaces, pivot_root'ed into an overlay of its image (as root). */
export interface IsolatedPlan {
  /** The image's root filesystem (the overlay's lower layer). */
  rootfs: string;
  hostname: string;
  /** The sandbox's network namespace; absent: the host's. */
  netnsPath?: string;
  mounts: Mount[];
  readonlyRootfs: boolean;
  hostPid: boolean;
  hostIpc: boolean;
  user: ProcessUser;
  /** Inside the container. */
  cwd: string;
  cgroupDirs: string[];
}

export interface MonitorPlan {
  /** The container's state directory (the monitor's pid/exit files, overlay upper/work/merged). */
  stateDir: string;
  logPath: string;
  envFile: string;
  argv: string[];
  /** Absent: no isolation (an agent without root); `hostCwd` is then the working directory. */
  isolated?: IsolatedPlan;
  hostCwd?: string;
  stdinFifo?: string;
  stdinOnce: boolean;
  tty: boolean;
  oomScoreAdj?: number;
}

/** The overlay directories of a container, under its state directory. */
export function overlayDirs(stateDir: string): { upper: string; work: string; merged: string } {
  return { upper: path.join(stateDir, 'upper'), work: path.join(stateDir, 'work'), merged: path.join(stateDir, 'merged') };
}

export function monitorRunArgs(plan: MonitorPlan): string[] {
  const args = ['run', '--state', plan.stateDir, '--log', plan.logPath];
  const iso = plan.isolated;
  if (iso) {
    const o = overlayDirs(plan.stateDir);
    args.push('--overlay', iso.rootfs, o.upper, o.work, o.merged, '--hostname', iso.hostname);
    if (iso.netnsPath) args.push('--netns', iso.netnsPath);
    for (const m of iso.mounts) args.push('--mount', m.hostPath, m.containerPath, m.readonly ? 'ro' : 'rw', m.isFile ? 'file' : 'dir');
    if (iso.readonlyRootfs) args.push('--readonly-rootfs');
    if (iso.hostPid) args.push('--host-pid');
    if (iso.hostIpc) args.push('--host-ipc');
    args.push('--user', String(iso.user.uid), String(iso.user.gid), iso.user.groups.length ? iso.user.groups.join(',') : '-');
    args.push('--cwd', iso.cwd);
    for (const d of iso.cgroupDirs) args.push('--cgroup', d);
  } else {
    args.push('--no-isolation');
    if (plan.hostCwd) args.push('--cwd', plan.hostCwd);
  }
  args.push('--env-file', plan.envFile);
  if (plan.stdinFifo) {
    args.push('--stdin-fifo', plan.stdinFifo);
    if (plan.stdinOnce) args.push('--stdin-once');
  }
  if (plan.tty) args.push('--tty');
  if (plan.oomScoreAdj !== undefined) args.push('--oom-score-adj', String(plan.oomScoreAdj));
  return [...args, '--', ...plan.argv];
}

/** The sandbox's resolv.conf, hostname and hosts files (unless the config mounts its own there), then the config's mounts. */
export function withSandboxFiles(sandboxDir: string, mounts: Mount[]): Mount[] {
  const own = new Set(mounts.map((m) => m.containerPath));
  const files = ['resolv.conf', 'hostname', 'hosts']
    .filter((f) => !own.has(`/etc/${f}`))
    .map((f) => ({ hostPath: path.join(sandboxDir, f), containerPath: `/etc/${f}`, readonly: false, isFile: true }));
  return [...files, ...mounts];
}

/**
 * Without isolation the image's binaries are found through PATH: its bin directories (under the
 * rootfs on the host) go first.
 */
export function hostPathEnv(env: string[], rootfs: string): string[] {
  const rootPath = DEFAULT_IMAGE_PATH.split(':').map((p) => path.join(rootfs, p)).join(':');
  const out = env.map((e) => (e.startsWith('PATH=') ? `PATH=${rootPath}:${e.slice(5)}` : e));
  if (!out.some((e) => e.startsWith('PATH='))) out.push(`PATH=${rootPath}:${DEFAULT_IMAGE_PATH}`);
  return out;
}
