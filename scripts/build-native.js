#!/usr/bin/env node
// Builds the process runtime's native monitor (services/node-agent/runtime/process/native/
// bosun-monitor.c) into .data/native/ with the machine's C compiler, ahead of first use (the
// runtime would build it on demand otherwise). Needs a built tree (dist/). Prints the binary's path.
'use strict';
const path = require('node:path');

const modulePath = path.join(__dirname, '..', 'dist', 'services', 'node-agent', 'runtime', 'process', 'monitor-binary.js');
require(modulePath)
  .ensureMonitorBinary()
  .then((binary) => console.log(binary))
  .catch((err) => {
    console.error(`build-native: ${err.message}`);
    process.exit(1);
  });
