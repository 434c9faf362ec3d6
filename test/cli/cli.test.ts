/** CLI conventions: help, exit codes, generated reference up to date. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ROOT, runQuell } from '../helpers/paths';
import { COMMANDS } from '../../src/cli/registry';

test('docs/cli.md is generated from the registry and up to date', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'gen-cli-doc.js')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const committed = fs.readFileSync(path.join(ROOT, 'docs', 'cli.md'), 'utf8');
  assert.equal(committed, r.stdout, 'docs/cli.md is stale: run node scripts/gen-cli-doc.js > docs/cli.md');
});

test('quell --help lists every command; no command exits 2', () => {
  const r = runQuell(['--help']);
  assert.equal(r.status, 0);
  for (const n of Object.keys(COMMANDS)) assert.match(r.stdout, new RegExp(`\\b${n}\\b`));
  assert.equal(runQuell([]).status, 2);
});

test('unknown command and unknown flag exit 2 with a message on stderr', () => {
  const a = runQuell(['frobnicate']);
  assert.equal(a.status, 2);
  assert.match(a.stderr, /unknown command "frobnicate"/);
  const b = runQuell(['decode', '--no-such-flag', 'x.pcap']);
  assert.equal(b.status, 2);
  assert.match(b.stderr, /error\[QUELL_E_USAGE\]: unknown flag --no-such-flag/);
  assert.equal(b.stdout, '');
});

test('every command answers --help with its usage on stdout, exit 0', () => {
  for (const n of Object.keys(COMMANDS)) {
    const r = runQuell([n, '--help']);
    assert.equal(r.status, 0, `${n} --help`);
    assert.match(r.stdout, /usage: quell/, `${n} --help prints usage`);
  }
});

test('a missing capture is an input error (exit 1) naming the file', () => {
  const r = runQuell(['decode', '/nonexistent/x.pcap']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\/nonexistent\/x\.pcap/);
  assert.match(r.stderr, /error\[QUELL_E_FILE\]/);
});
