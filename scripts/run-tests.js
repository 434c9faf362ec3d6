#!/usr/bin/env node
'use strict';
// Runs every compiled test file (dist/**/*.test.js) with node's own test runner, so the
// runner's closing summary ("# tests N", "# pass N", "# fail N") shows how many ran.
// Usage: node scripts/run-tests.js [substring-filter ...]
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..', 'dist');
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'node_modules') walk(p); }
    else if (e.name.endsWith('.test.js')) files.push(p);
  }
})(root);
files.sort();
const chosen = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (chosen.length === 0) { console.error('no test files found under dist/ (did the build run?)'); process.exit(1); }
// the runtime under test (npm puts the pinned one first on PATH, docs/architecture.md "Runtime")
console.error(`quell tests: ${chosen.length} files, node ${process.version} (${process.execPath})`);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...chosen], { stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
