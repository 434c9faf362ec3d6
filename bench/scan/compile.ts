/**
 * bench/scan/compile: compile time and retained memory of N literal rules made from real text
 * (same rule generator as run.ts), in-process, best of R rounds.
 *   node --expose-gc dist/bench/scan/compile.js [--rules N] [--rounds R]
 * Prints one JSON line on stdout. Shared 2-core machine: figures are noisy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { compileSource } from '../../signatures/compiler';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const args = process.argv.slice(2);
const opt = (name: string, def: number) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const N = opt('--rules', 10_000), ROUNDS = opt('--rounds', 3);

function words(): string[] {
  const parts: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && depth < 2) walk(p, depth + 1);
      else if (e.isFile() && /^readme\.md$/i.test(e.name)) parts.push(fs.readFileSync(p, 'latin1'));
    }
  };
  walk(path.join(ROOT, 'node_modules'), 0);
  parts.sort();
  return [...new Set(parts.join('\n').split(/[^A-Za-z]+/).filter((w) => w.length >= 5))].sort();
}

const w = words();
let src = '';
for (let i = 0; i < N; i++) src += `rule r${i} { strings: $a = "${w[(i * 7919) % w.length]} ${w[(i * 104729 + 13) % w.length]}" condition: $a }\n`;
const gc = (globalThis as { gc?: () => void }).gc;
let best = Infinity, retained = 0;
let keep: unknown = null;
for (let r = 0; r < ROUNDS; r++) {
  keep = null;
  gc?.();
  const m0 = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  keep = null;
  const res = compileSource(src, 'bench.rules');
  keep = res.ruleset;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  gc?.();
  const m1 = process.memoryUsage();
  if (!res.ruleset) throw new Error('compile failed');
  best = Math.min(best, s);
  retained = (m1.heapUsed + m1.arrayBuffers - m0.heapUsed - m0.arrayBuffers) / 1e6;
}
void keep;
process.stdout.write(JSON.stringify({ bench: 'scan-compile', rules: N, bestS: +best.toFixed(3), retainedMB: +retained.toFixed(1), maxRssMB: +(process.memoryUsage().rss / 1e6).toFixed(1), gcExposed: !!gc }) + '\n');
