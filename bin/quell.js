#!/usr/bin/env node
'use strict';
// The runtime: Node.js >= 24 (package.json engines; npm installs the pinned build, and bin/quell
// runs it). Older runtimes are refused here with the way out, instead of failing later on a
// missing API (node:sqlite) or running the JIT-heavy one-shot commands slower (`quell flows` on
// bench/out/big.pcap: 1.03 s of CPU on Node 20 vs 0.84 s on Node 24, docs/performance.md "Runtime").
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`quell: needs Node.js >= 24, this is ${process.version} (${process.execPath}).\n` +
    'npm ci installs the pinned runtime: run bin/quell, npx quell, or node_modules/.bin/node bin/quell.js\n');
  process.exit(2);
}
// V8 tiering for the one-shot commands (flows, replay, decode, scan...): TurboFan only for functions
// called >= 30,000 times (V8 default 3,000); the rest stays in Maglev, which compiles in a fraction
// of the time. A capture's per-flow and per-transaction code (flow end, flow lines, HTTP messages)
// runs a few thousand times per file: TurboFan-compiling it cost more CPU than it saved. Per-packet
// code still reaches TurboFan within the first 30,000 packets. Measured on bench/out/big.pcap
// (docs/performance.md "Runtime"): `quell flows` -6% CPU; the warm engine not slower (steady.js).
// 50,000 was cheaper cold but left per-batch functions in Maglev (warm engine -20..40%).
// Set here, before any project module is compiled; NODE_OPTIONS cannot be relied upon and `#!`
// lines cannot carry flags portably. Not for `quell run`: its engine is warmed before the queue is
// bound (src/inline/warmup.ts) and should reach TurboFan as early as V8 lets it.
if (process.argv[2] !== 'run') require('v8').setFlagsFromString('--invocation-count-for-turbofan=30000');
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm ci` (prepare -> tsc).
require('../dist/src/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`quell: internal error: ${err && err.stack || err}\n`); process.exitCode = 70; },
);
