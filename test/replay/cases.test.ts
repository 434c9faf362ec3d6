/**
 * Replay cases (test/replay/*): every case passes through the real `quell replay`, and the
 * default ruleset's captures in pcaps/cases regenerate byte-identically from pcaps/make-cases.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, runQuell } from '../helpers/paths';
import { writeCases, CASES } from '../../pcaps/make-cases';
import { runCase } from '../../src/cli/commands/test';

const CASE_ROOT = path.join(ROOT, 'test', 'replay');

test('pcaps/cases regenerate byte-identically', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-cases-'));
  try {
    const files = writeCases(tmp);
    assert.equal(files.length, Object.keys(CASES).length);
    for (const f of files) {
      const committed = path.join(ROOT, 'pcaps', 'cases', path.basename(f));
      assert.ok(fs.existsSync(committed), `${committed} is missing: run node dist/pcaps/make-cases.js`);
      assert.ok(fs.readFileSync(f).equals(fs.readFileSync(committed)), `${path.basename(f)} differs from the generator's output`);
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

test('every default rule has a firing case and a benign case', () => {
  const rules = fs.readFileSync(path.join(ROOT, 'signatures', 'rules', 'default.rules'), 'utf8');
  const sids = [...rules.matchAll(/sid\s*=\s*(\d+)/g)].map((m) => Number(m[1]));
  assert.ok(sids.length >= 8, 'default ruleset has rules');
  const fired = new Set<number>();
  const dirs = fs.readdirSync(CASE_ROOT).filter((d) => d.startsWith('default-'));
  for (const d of dirs) {
    const spec = JSON.parse(fs.readFileSync(path.join(CASE_ROOT, d, 'case.json'), 'utf8'));
    for (const c of spec.checks) {
      const sid = c.filter.match['alert.signature_id'];
      if (typeof sid === 'number' && (c.filter.count ?? c.filter.min ?? 1) > 0) fired.add(sid);
    }
    if (!d.endsWith('-benign')) assert.ok(dirs.includes(`${d}-benign`), `${d} has no benign twin`);
  }
  for (const sid of sids) {
    if (sid === 1000011) continue; // SYN flood: exercised by test/inline-ops (needs a real flood)
    assert.ok(fired.has(sid), `default rule sid ${sid} has no case where it fires`);
  }
});

const cases = fs.readdirSync(CASE_ROOT, { withFileTypes: true })
  .filter((e) => e.isDirectory() && fs.existsSync(path.join(CASE_ROOT, e.name, 'case.json')))
  .map((e) => e.name).sort();

for (const name of cases) {
  test(`replay case ${name}`, async () => {
    const o = await runCase(path.join(CASE_ROOT, name));
    const why = [o.error ?? '', ...o.checks.filter((c) => !c.ok).map((c) => c.message)].filter(Boolean).join('\n');
    assert.ok(o.ok, `case ${name} failed:\n${why}`);
  });
}

test('quell test exits 1 and names the failing check when an expectation is wrong', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-case-'));
  try {
    fs.writeFileSync(path.join(tmp, 'case.json'), JSON.stringify({
      pcap: path.join(ROOT, 'pcaps', 'cases', 'traversal-benign.pcap'),
      checks: [{ filter: { count: 5, match: { event_type: 'http' } } }],
    }));
    const r = runQuell(['test', tmp]);
    assert.equal(r.status, 1);
    const line = JSON.parse(r.stdout.trim());
    assert.equal(line.ok, false);
    assert.match(line.checks[0].message, /expected 5 event\(s\) matching .*found 2/);
    const bad = runQuell(['test', path.join(tmp, 'nope')]);
    assert.equal(bad.status, 2);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
