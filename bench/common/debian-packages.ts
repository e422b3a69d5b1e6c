/**
 * Installs the Debian packages a benchmark drives when their commands are missing (as root),
 * without letting the packages start their system services: a temporary policy-rc.d refuses
 * every service start during the install (Debian's documented mechanism), and is removed after.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

const POLICY_RC_D = '/usr/sbin/policy-rc.d';
/** Exit status of policy-rc.d meaning "action forbidden". */
const POLICY_FORBID = 101;

/** Whether `command` is on the PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Installs each package whose command is missing (`{ command: package }`); throws with apt's output on failure. */
export function ensureDebianPackages(wanted: Record<string, string>, say: (line: string) => void): void {
  const missing = Object.entries(wanted)
    .filter(([command]) => !hasCommand(command))
    .map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`${missing.join(', ')} missing and not root: run as root, or apt-get install -y ${missing.join(' ')}`);
  say(`installing ${missing.join(', ')} from Debian's packages…`);
  const ownPolicy = !fs.existsSync(POLICY_RC_D);
  if (ownPolicy) fs.writeFileSync(POLICY_RC_D, `#!/bin/sh\nexit ${POLICY_FORBID}\n`, { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    if (ownPolicy) fs.rmSync(POLICY_RC_D, { force: true });
  }
}
