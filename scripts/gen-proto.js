#!/usr/bin/env node
// Generates TypeScript types and gRPC service definitions from proto/ into gen/ with
// ts-proto, driven by the buf CLI (both come from the npm registry: no protoc needed).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const buf = path.join(root, 'node_modules', '.bin', 'buf');
fs.rmSync(path.join(root, 'gen'), { recursive: true, force: true });
execFileSync(buf, ['generate'], { cwd: root, stdio: 'inherit' });
