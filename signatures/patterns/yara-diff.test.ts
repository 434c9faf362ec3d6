/**
 * Differential property test: the pattern engine against the real `yara` 4.2.3 binary.
 * Generates random text / hex / regex strings (YARA-compatible grammar, modifiers nocase wide ascii
 * fullword, regex flags i s) and small data biased to contain matches (same small alphabet);
 * runs yara once per batch (one rules file with one rule per case, `filesize == L` ties a rule to
 * its data file) and compares, per case, the full set of (offset, length) matches reported by
 * `yara -s -L` with ours, and also whether the pattern is accepted at all.
 * On a mismatch, fast-check replays the property case by case (yara per case) and shrinks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { compilePattern, findAllString } from './index';
import { Case, caseArb, irsOf, yaraString } from './testkit';

const YARA = '/usr/bin/yara';
const CASES = Number(process.env.PATTERN_DIFF_CASES ?? 2500);
const SEED = Number(process.env.PATTERN_DIFF_SEED ?? 4242);

// ---------- our engine ----------
type Result = { ok: true; matches: Map<number, number> } | { ok: false };
function ours(c: Case): Result {
  const forms = irsOf(c);
  if (!forms) return { ok: false };
  const buf = Uint8Array.from(c.data);
  const out = new Map<number, number>();
  findAllString(forms.ascii ? compilePattern(forms.ascii) : null, forms.wide ? compilePattern(forms.wide) : null, c.fullword, buf, 0, buf.length, (off, len) => {
    assert.ok(!out.has(off), 'offset reported twice');
    out.set(off, len);
  });
  return { ok: true, matches: out };
}

// ---------- yara oracle ----------
/** Runs yara over many cases at once. Returns per case: 'error' (yara rejects the string) or the match map. */
function yaraBatch(cases: Case[], dir: string): (Map<number, number> | 'error')[] {
  const res: (Map<number, number> | 'error')[] = new Array(cases.length);
  // group cases so that data lengths are unique within a group (rule i is tied to file i by filesize)
  const groups: number[][] = [];
  const used: Set<number>[] = [];
  cases.forEach((c, i) => {
    let g = used.findIndex((u) => !u.has(c.data.length));
    if (g < 0) { g = groups.length; groups.push([]); used.push(new Set()); }
    groups[g].push(i); used[g].add(c.data.length);
  });
  groups.forEach((g, gi) => {
    const gdir = join(dir, 'g' + gi);
    mkdirSync(gdir);
    for (const i of g) writeFileSync(join(gdir, 'f' + i), Uint8Array.from(cases[i].data));
    let active = g.slice();
    for (let attempt = 0; attempt < 3 && active.length > 0; attempt++) {
      const rules = active.map((i) => `rule r${i} { strings: $a = ${yaraString(cases[i])} condition: filesize == ${cases[i].data.length} and ($a or true) }`).join('\n') + '\n';
      const rf = join(dir, `rules${gi}.yar`);
      writeFileSync(rf, rules);
      const p = spawnSync(YARA, ['-p', '1', '-s', '-L', '-w', rf, gdir], { encoding: 'latin1', maxBuffer: 64 << 20 });
      if (p.status !== 0) {
        const lines = rules.split('\n');
        const bad = new Set<number>();
        for (const m of p.stderr.matchAll(/\((\d+)\): /g)) {
          const ln = Number(m[1]);
          const rm = /^rule r(\d+) /.exec(lines[ln - 1] ?? '');
          if (rm) bad.add(Number(rm[1]));
        }
        if (bad.size === 0) throw new Error('yara failed: ' + p.stderr);
        for (const i of bad) res[i] = 'error';
        active = active.filter((i) => !bad.has(i));
        continue;
      }
      for (const i of active) res[i] = new Map();
      let cur = -1;
      for (const line of p.stdout.split('\n')) {
        const h = /^r(\d+) /.exec(line);
        if (h) { cur = Number(h[1]); continue; }
        const m = /^0x([0-9a-f]+):(\d+):\$a/.exec(line);
        if (m && cur >= 0) {
          const mp = res[cur] as Map<number, number>;
          const off = parseInt(m[1], 16);
          if (mp.has(off)) throw new Error(`yara reported offset ${off} twice for r${cur}`);
          mp.set(off, Number(m[2]));
        }
      }
      active = [];
    }
  });
  return res;
}

function describe(c: Case): string {
  return `$a = ${yaraString(c)}\ndata (${c.data.length} bytes) = ${JSON.stringify(Buffer.from(c.data).toString('latin1'))}`;
}
function fmt(m: Map<number, number> | 'error' | undefined): string {
  if (m === undefined) return 'undefined';
  if (m === 'error') return 'compile error';
  return '[' + [...m].sort((a, b) => a[0] - b[0]).map(([o, l]) => `${o}:${l}`).join(' ') + ']';
}
function agree(c: Case, y: Map<number, number> | 'error'): boolean {
  const o = ours(c);
  if (y === 'error' || !o.ok) return y === 'error' && !o.ok;
  if (o.matches.size !== y.size) return false;
  for (const [k, v] of y) if (o.matches.get(k) !== v) return false;
  return true;
}

test(`patterns agree with yara ${execFileSync(YARA, ['--version']).toString().trim()} on ${CASES} generated cases`, { timeout: 240_000 }, () => {
  // Phase 1: collect the cases exactly as fc.check generates them (same seed as phase 2).
  const cases: Case[] = [];
  fc.check(fc.property(caseArb, (c) => { cases.push(c); return true; }), { seed: SEED, numRuns: CASES });
  const dir = mkdtempSync(join(tmpdir(), 'quell-patdiff-'));
  try {
    const ys = yaraBatch(cases, dir);
    const bad: number[] = [];
    const kinds = { text: 0, hex: 0, regex: 0, rejected: 0, withMatches: 0 };
    const known = new Map<string, Map<number, number> | 'error'>();
    cases.forEach((c, i) => {
      kinds[c.kind]++;
      known.set(JSON.stringify(c), ys[i]);
      if (ys[i] === 'error') kinds.rejected++; else if ((ys[i] as Map<number, number>).size > 0) kinds.withMatches++;
      if (!agree(c, ys[i])) bad.push(i);
    });
    if (bad.length > 0) {
      let msg = `${bad.length}/${CASES} cases disagree; first ones:\n` + bad.slice(0, Number(process.env.PATTERN_DIFF_SHOW ?? 3)).map((i) =>
        `${describe(cases[i])}\nyara: ${fmt(ys[i])}\nours: ${fmt(((r) => (r.ok ? r.matches : 'error'))(ours(cases[i])))}`).join('\n');
      // Phase 2: the same run again, answered from the batch for known cases and by yara per case
      // for the shrunk ones, so fast-check can shrink the first failure to a minimal case.
      const sdir = join(dir, 'shrink'); mkdirSync(sdir);
      let n = 0;
      const oracle = (c: Case) => {
        const k = known.get(JSON.stringify(c));
        if (k !== undefined) return k;
        const d = join(sdir, String(n++)); mkdirSync(d);
        return yaraBatch([c], d)[0];
      };
      const out = fc.check(fc.property(caseArb, (c) => agree(c, oracle(c))), { seed: SEED, numRuns: CASES });
      if (out.failed && out.counterexample) {
        const c = out.counterexample[0];
        msg += `\nminimal case after shrinking (${out.numShrinks} shrinks):\n${describe(c)}\nyara: ${fmt(oracle(c))}\nours: ${fmt(((r) => (r.ok ? r.matches : 'error'))(ours(c)))}`;
      }
      assert.fail(msg);
    }
    // the generator must exercise matching, not just produce silent or rejected cases
    assert.ok(kinds.withMatches > CASES / 3, `too few cases with matches: ${JSON.stringify(kinds)}`);
    assert.ok(kinds.rejected < CASES / 5, `too many rejected cases: ${JSON.stringify(kinds)}`);
    console.log(`# yara differential: ${JSON.stringify(kinds)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
