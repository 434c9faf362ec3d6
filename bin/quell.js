#!/usr/bin/env node
'use strict';
// The runtime: Node.js >= 24 (package.json engines; npm installs the pinned build, and bin/quell
// runs it). Older runtimes are refused here with the way out, instead of failing later on a
// missing API (node:sqlite) or running the JIT-heavy one-shot commands ~25% slower
// (docs/performance.md "Runtime").
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`quell: needs Node.js >= 24, this is ${process.version} (${process.execPath}).\n` +
    'npm ci installs the pinned runtime: run bin/quell, npx quell, or node_modules/.bin/node bin/quell.js\n');
  process.exit(2);
}
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm ci` (prepare -> tsc).
require('../dist/src/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`quell: internal error: ${err && err.stack || err}\n`); process.exitCode = 70; },
);
