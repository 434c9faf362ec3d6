/**
 * bench/scan/compile: compile time and retained memory of N literal rules made from real text
 * (same rule generator as run.ts), in-process, best of R rounds.
 *   node --expose-gc dist/bench/scan/compile.js [--rules N] [--rounds R]
 * Prints one JSON line on stdout. Shared 2-core machine: figures are noisy.
 */
import { compileSource } from '../../signatures/compiler';
import { corpusWords, phraseRules } from '../lib';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const N = opt('--rules', 10_000), ROUNDS = opt('--rounds', 3);

const src = phraseRules(corpusWords(), N);
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
