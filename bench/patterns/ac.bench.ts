/**
 * Micro-bench of the pattern engine (not a test): Aho-Corasick (signatures/ac.ts, exact mode with
 * per-atom nocase, as the former MultiMatcher) build and scan with 10,000 atoms
 * taken from real text (the project's node_modules: JS, TS and Markdown), over a 100 MB buffer of
 * the same kind of text; plus the Pike VM on a few regexes. Run: node dist/bench/patterns/ac.bench.js [MB]
 * Prints JSON lines. Figures on a shared 2-core VM are noisy: take the best of the runs.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildAc, acScan, acSize } from '../../signatures/ac';
import { extractAtoms, literalIR, parseRegex, compilePattern, findAll, patternStats, setWorkBudget, setDfaEnabled } from '../../signatures/patterns/index';

const ROOT = join(__dirname, '..', '..', '..', 'node_modules');
const MB = Number(process.argv[2] ?? 100);

function walk(dir: string, out: string[], limit: number): void {
  for (const name of readdirSync(dir)) {
    if (out.length >= limit) return;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out, limit);
    else if (/\.(js|ts|md)$/.test(name) && st.size > 2000) out.push(p);
  }
}

const files: string[] = [];
walk(ROOT, files, 4000);
const texts = files.map((f) => readFileSync(f));
// corpus: repeat real files up to MB megabytes
const total = MB * 1024 * 1024;
const buf = new Uint8Array(total);
for (let off = 0, i = 0; off < total; i++) {
  const t = texts[i % texts.length];
  const n = Math.min(t.length, total - off);
  buf.set(t.subarray(0, n), off); off += n;
}
// Candidate "literal rules": identifier-like words of 8..24 chars from the same text.
const words = new Set<string>();
const re = /[A-Za-z_][A-Za-z0-9_]{7,23}/g;
for (const t of texts) {
  for (const m of t.toString('latin1').matchAll(re)) { words.add(m[0]); if (words.size >= 80_000) break; }
  if (words.size >= 80_000) break;
}
const pool = [...words];
function atomsOf(ws: string[]) {
  return ws.map((w, id) => {
    const a = extractAtoms(literalIR(Uint8Array.from(Buffer.from(w, 'latin1')), { nocase: id % 10 === 0 }))!;
    return { bytes: a.atoms[0].bytes, nocase: a.atoms[0].nocase, id };
  });
}
function scanBench(label: string, ws: string[]): void {
  let t0 = process.hrtime.bigint();
    const atoms = atomsOf(ws);
  const tAtoms = Number(process.hrtime.bigint() - t0) / 1e6;
  t0 = process.hrtime.bigint();
  const m = buildAc(atoms, { exact: true });
  const tBuild = Number(process.hrtime.bigint() - t0) / 1e6;
  const st = acSize(m);
  console.log(JSON.stringify({ bench: 'ac.build', set: label, rules: ws.length, atomsMs: +tAtoms.toFixed(1), buildMs: +tBuild.toFixed(1), ...st, tableMB: +(st.tableBytes / 1048576).toFixed(1) }));
  for (let run = 0; run < 3; run++) {
    let hitsN = 0;
    t0 = process.hrtime.bigint();
    acScan(m, buf, 0, buf.length, () => { hitsN++; });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(JSON.stringify({ bench: 'ac.scan', set: label, run, MB, seconds: +s.toFixed(3), MBps: +(MB / s).toFixed(0), hits: hitsN }));
  }
}
// Baseline on the same buffer: the cheapest possible byte loop (a sum). The DFA/baseline ratio is
// robust to machine load, MB/s are not.
for (let run = 0; run < 3; run++) {
  const t0 = process.hrtime.bigint();
  let sum = 0;
  for (let i = 0; i < buf.length; i++) sum += buf[i];
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ bench: 'baseline.sum', run, MB, seconds: +s.toFixed(3), MBps: +(MB / s).toFixed(0), sum }));
}
// (1) the first 10,000 words: their atoms are common 4-grams of the text (about one hit per byte):
//     measures the hit path as much as the DFA.
scanBench('common-10k', pool.slice(0, 10_000));
// (2) 10,000 words whose atom is rare in a 16 MB sample (what a usable ruleset looks like; YARA warns
//     about the others): measures the DFA loop.
{
  const atoms = atomsOf(pool);
  const m = buildAc(atoms, { exact: true });
  const cnt = new Int32Array(pool.length);
  acScan(m, buf, 0, Math.min(buf.length, 16 << 20), (id) => { cnt[id]++; });
  const rare = pool.filter((_, i) => cnt[i] <= 20).slice(0, 10_000);
  scanBench('rare-10k', rare);
}

// Pike VM: findAll over 4 MB of the same text
let t0 = process.hrtime.bigint();
const slice = buf.subarray(0, 4 * 1024 * 1024);
setWorkBudget(1e12);
for (const src of ['function\\s+[a-z]+\\(', 'require\\([\'"][^\'"]{1,40}[\'"]\\)', '[0-9]{4}-[0-9]{2}', 'https?://[a-z.]+/', '(\\w+\\s*){2,6}=', '[a-z]{2,}[0-9]+\\.']) {
  const r = parseRegex(src, { nocase: false, dotall: false });
  if ('error' in r) throw new Error(r.error.message);
  for (const dfa of [true, false]) {
    setDfaEnabled(dfa);
    const p = compilePattern(r.ir);
    let n = 0;
    const s0 = patternStats.steps;
    t0 = process.hrtime.bigint();
    findAll(p, slice, 0, slice.length, () => { n++; });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(JSON.stringify({ bench: 'vm.findAll', regex: src, engine: dfa ? 'lazy-dfa' : 'pike', MB: 4, seconds: +s.toFixed(3), MBps: +(4 / s).toFixed(1), matches: n, steps: patternStats.steps - s0 }));
  }
  setDfaEnabled(true);
}
