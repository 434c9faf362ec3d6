#!/usr/bin/env node
'use strict';
// V8 tier-up budget, set before any project module is compiled (the flag only affects functions
// created afterwards). A bigger budget lets a function run longer in the interpreter/baseline tier
// before TurboFan compiles it, so it is optimised once, with feedback from more packet kinds,
// instead of being optimised early and then deoptimised and recompiled as new kinds arrive.
// Measured on bench/out/big.pcap (docs/performance.md "Flows"): `quell flows` -13% CPU,
// `quell decode --no-packets` -6%; no effect on code once warm. NODE_OPTIONS cannot be relied
// upon (and `#!` lines cannot carry flags portably), hence setFlagsFromString.
// Not for `quell run`: its engine is warmed before the queue is bound (src/inline/warmup.ts), and
// its worker loop (receive, verdicts) cannot be warmed without traffic, so it should tier up as
// early as V8 lets it (bench/inline --plumbing: the receive/verdict path ran unoptimised for the
// first thousands of packets with the larger budget).
if (process.argv[2] !== 'run') require('v8').setFlagsFromString('--interrupt-budget=400000');
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm ci` (prepare -> tsc).
require('../dist/src/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`quell: internal error: ${err && err.stack || err}\n`); process.exitCode = 70; },
);
