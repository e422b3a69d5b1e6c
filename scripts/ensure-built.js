#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm dependencies when they are missing or stale,
// generates the protobuf code and compiles the TypeScript. `--force` always rebuilds
// (the compiler is incremental, so an up-to-date tree costs a few seconds).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const force = process.argv.includes('--force');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const mtime = (p) => (fs.existsSync(p) ? fs.statSync(p).mtimeMs : 0);

const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
if (!fs.existsSync(installed) || mtime(installed) < mtime(lock)) {
  console.log('bosun: installing npm dependencies…');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

/** Newest modification time of any .ts/.proto source under the given folders. */
function newestSource(dirs) {
  let newest = 0;
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|proto)$/.test(e.name)) newest = Math.max(newest, mtime(p));
    }
  };
  dirs.forEach((d) => walk(path.join(root, d)));
  return newest;
}

const stamp = path.join(root, 'dist', '.build-stamp');
const sources = ['proto', 'store', 'lib', 'services', 'cli', 'bench', 'e2e'];
if (force || !fs.existsSync(stamp) || mtime(stamp) < newestSource(sources) || mtime(stamp) < mtime(lock)) {
  console.log('bosun: building…');
  run(process.execPath, [path.join(root, 'scripts', 'gen-proto.js')]);
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  fs.writeFileSync(stamp, new Date().toISOString());
}

// The process runtime's monitor is C; build it now so the first pod does not wait for the compiler.
// A missing compiler is not fatal here: the runtime says so clearly when it needs the monitor.
try {
  run(process.execPath, [path.join(root, 'scripts', 'build-native.js')]);
} catch {
  console.log('bosun: the process runtime monitor was not built (no C compiler?); only needed for --runtime process');
}
