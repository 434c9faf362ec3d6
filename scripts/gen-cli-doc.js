#!/usr/bin/env node
'use strict';
// Generates docs/cli.md from the command registry (every command's own --help text), so the
// reference cannot drift from the code. test/cli/cli-doc.test.ts fails when it is stale.
//   node scripts/gen-cli-doc.js > docs/cli.md
const { COMMANDS } = require('../dist/src/cli/registry.js');

const out = [];
out.push('# Command line reference');
out.push('');
out.push('Generated from the command registry (`src/cli/registry.ts`) by `node scripts/gen-cli-doc.js > docs/cli.md`;');
out.push('do not edit by hand.');
out.push('');
out.push('Conventions for every command:');
out.push('');
out.push('- exit status: `0` ok; `1` errors in the input (bad capture, rules with errors, failed checks for');
out.push('  commands that check); `2` usage errors (unknown flag, missing argument). An internal error');
out.push('  (a bug) exits 70 with a stack trace.');
out.push('- machine output (JSON lines) goes to stdout and is stable (schemas: docs/decode.md, docs/flows.md,');
out.push('  docs/eve.md); humans get progress and summaries on stderr; progress bars only when stderr is a');
out.push('  terminal; `--quiet` silences the human output.');
out.push('- errors are printed as `quell CMD: error[CODE]: message` with a stable code (docs/errors.md).');
out.push('');
out.push('| command | what it does |');
out.push('|---|---|');
const names = Object.keys(COMMANDS).sort();
for (const n of names) out.push(`| [\`quell ${n}\`](#quell-${n}) | ${COMMANDS[n]().summary} |`);
out.push('');
for (const n of names) {
  const c = COMMANDS[n]();
  out.push(`## quell ${n}`);
  out.push('');
  out.push('```');
  out.push(c.usage.replace(/\s+$/, ''));
  out.push('```');
  out.push('');
}
process.stdout.write(out.join('\n'));
