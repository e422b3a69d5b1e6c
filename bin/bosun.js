#!/usr/bin/env node
// The single `bosun` entry point: every component is a subcommand (see cli/main.ts).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  console.error('bosun: the project is not built yet; run `npm run build` (or `npm start`) first');
  process.exit(1);
}
require(main).main(process.argv).catch((err) => {
  console.error(`bosun: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
