/**
 * The process runtime's on-disk records of sandboxes and containers, and what the monitor writes
 * beside them. Layout under the runtime's root:
 *   sandboxes/<id>/sandbox.json            SandboxRecord (+ resolv.conf, hostname, hosts)
 *   containers/<id>/container.json         ContainerRecord
 *   containers/<id>/pid                    monitor: "PID MONITOR_PID STARTED_MS"
 *   containers/<id>/exit                   monitor: "EXIT_CODE FINISHED_MS"
 *   containers/<id>/start-error            monitor: why the process could not start
 *   containers/<id>/final.json             FinalRecord: the exit with its reason, once settled
 *   containers/<id>/{upper,work,merged}    the copy-on-write root
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerConfig, ContainerState, PodSandboxConfig, SandboxState } from '../runtime';
import { readJsonIfExists, readTextIfExists } from './state-files';

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  createdAt: number;
  state: SandboxState;
  ip: string;
  /** The network namespace's path; absent on the host network. */
  netnsPath?: string;
  /** Sysctls of the pod the runtime did not apply (not in the network namespace). */
  ignoredSysctls?: string[];
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  imageId: string;
  createdAt: number;
  /** Absolute path of the CRI log. */
  logPath: string;
  /** The cgroup, relative to the hierarchy roots; absent when the runtime runs without cgroups. */
  cgroup?: string;
  /** The argv the monitor starts (resolved at creation, so image changes do not affect it). */
  monitorArgs: string[];
  /** The container's environment, for exec. */
  env: string[];
  uid: number;
  gid: number;
}

export interface FinalRecord {
  exitCode: number;
  finishedAt: number;
  reason: string;
  message: string;
}

export interface MonitorPid {
  pid: number;
  monitorPid: number;
  startedAt: number;
}

export interface MonitorExit {
  exitCode: number;
  finishedAt: number;
}

export const SANDBOX_FILE = 'sandbox.json';
export const CONTAINER_FILE = 'container.json';
export const FINAL_FILE = 'final.json';
const MONITOR_NAME = 'bosun-monitor';

export function readMonitorPid(dir: string): MonitorPid | undefined {
  const text = readTextIfExists(path.join(dir, 'pid'));
  if (!text) return undefined;
  const [pid, monitorPid, startedAt] = text.trim().split(/\s+/).map(Number);
  return { pid, monitorPid, startedAt };
}

export function readMonitorExit(dir: string): MonitorExit | undefined {
  const text = readTextIfExists(path.join(dir, 'exit'));
  if (!text) return undefined;
  const [exitCode, finishedAt] = text.trim().split(/\s+/).map(Number);
  return { exitCode, finishedAt };
}

/** Whether `pid` is a live monitor process (not a recycled pid of something else). */
export function monitorAlive(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(MONITOR_NAME);
  } catch {
    return false;
  }
}

/** The container's observed phase from its files (before any settling of an exit). */
export function observedState(dir: string): { state: ContainerState; pid?: MonitorPid; exit?: MonitorExit; final?: FinalRecord } {
  const final = readJsonIfExists<FinalRecord>(path.join(dir, FINAL_FILE));
  const pid = readMonitorPid(dir);
  if (final) return { state: 'exited', pid, final };
  const exit = readMonitorExit(dir);
  if (exit) return { state: 'exited', pid, exit };
  if (pid) return { state: monitorAlive(pid.monitorPid) ? 'running' : 'unknown', pid };
  return { state: 'created' };
}

/** Kubernetes' reason for an exit: OOMKilled when the memory limit killed it, else Completed (0) or Error. */
export function exitReason(exitCode: number, oomKilled: boolean): string {
  if (oomKilled) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}
