/**
 * bench/scan: `quell scan` next to `yara -p 1`, same rules, same data, same run.
 *
 *   node dist/bench/scan/run.js [--rules N] [--mb M] [--rounds R]
 *
 * Rules: N literal rules, each a two-word phrase taken from real text (the README files under
 * node_modules, deterministic choice). Data: M MB made of the same text repeated, so atoms hit
 * often (a hard case for any prefilter). Both tools run as child processes, alternately, R rounds;
 * the best round of each is reported (the machine is shared: figures are noisy).
 * Prints a table on stderr and one JSON line on stdout.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ROOT, readmeText, corpusWords, phraseRules } from '../lib';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const N_RULES = opt('--rules', 10_000);
const MB = opt('--mb', 100);
const ROUNDS = opt('--rounds', 3);

function time(cmd: string, argv: string[]): { s: number; out: string; err: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 600_000 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return { s, out: r.stdout, err: r.stderr };
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-bench-scan-'));
  try {
    const text = readmeText();
    const words = corpusWords(text);
    const rules = phraseRules(words, N_RULES);
    const rulesPath = path.join(dir, 'rules.yar');
    fs.writeFileSync(rulesPath, rules);
    const data = Buffer.alloc(MB * 1024 * 1024);
    const tb = Buffer.from(text, 'latin1');
    for (let o = 0; o < data.length; o += tb.length) tb.copy(data, o, 0, Math.min(tb.length, data.length - o));
    // plant a few phrases so that rules do match
    for (let i = 0; i < 50; i++) {
      const k = i * 97;
      const phrase = Buffer.from(`${words[(k * 7919) % words.length]} ${words[(k * 104729 + 13) % words.length]}`, 'latin1');
      phrase.copy(data, Math.floor((data.length - 64) * (i + 0.5) / 50));
    }
    const dataPath = path.join(dir, 'data.bin');
    fs.writeFileSync(dataPath, data);
    const compiled = path.join(dir, 'rules.yarc');
    spawnSync('yarac', [rulesPath, compiled]);
    const quell = path.join(ROOT, 'bin', 'quell.js');
    let bestQ = Infinity, bestY = Infinity, bestQscan = Infinity, bestYscan = Infinity, qCompile = Infinity;
    let qOut = '', yOut = '';
    for (let r = 0; r < ROUNDS; r++) {
      const q = time(process.execPath, [quell, 'scan', '--stats', rulesPath, dataPath]);
      const m = /compile ([\d.]+) s.*scan ([\d.]+) s/.exec(q.err)!;
      qCompile = Math.min(qCompile, Number(m[1])); bestQscan = Math.min(bestQscan, Number(m[2]));
      bestQ = Math.min(bestQ, q.s); qOut = q.out;
      const y = time('yara', ['-p', '1', rulesPath, dataPath]);
      bestY = Math.min(bestY, y.s); yOut = y.out;
      const yc = time('yara', ['-C', '-p', '1', compiled, dataPath]);
      bestYscan = Math.min(bestYscan, yc.s);
    }
    const sortLines = (s: string) => s.split('\n').filter(Boolean).map((l) => l.split(' ')[0]).sort().join(',');
    const same = sortLines(qOut) === sortLines(yOut);
    const mbs = (s: number) => +(MB * 1.048576 / s).toFixed(1);
    const res = {
      bench: 'scan', rules: N_RULES, mb: MB, rounds: ROUNDS, sameMatches: same, matches: qOut.split('\n').filter(Boolean).length,
      quell: { totalS: +bestQ.toFixed(3), compileS: qCompile, scanS: bestQscan, mbPerS: mbs(bestQ), scanMbPerS: mbs(bestQscan) },
      yara: { totalS: +bestY.toFixed(3), scanOnlyS: +bestYscan.toFixed(3), mbPerS: mbs(bestY), scanMbPerS: mbs(bestYscan) },
      ratioTotal: +(bestY / bestQ).toFixed(2), ratioScanOnly: +(bestYscan / bestQscan).toFixed(2),
      cpus: os.cpus().length, node: process.version,
    };
    process.stderr.write(
      `rules ${N_RULES}, data ${MB} MB, best of ${ROUNDS}; same matches: ${same} (${res.matches})\n` +
      `quell scan: ${res.quell.totalS} s total (${res.quell.mbPerS} MB/s), compile ${qCompile} s, scan ${bestQscan} s (${res.quell.scanMbPerS} MB/s)\n` +
      `yara -p 1:  ${res.yara.totalS} s total (${res.yara.mbPerS} MB/s), precompiled scan ${res.yara.scanOnlyS} s (${res.yara.scanMbPerS} MB/s)\n` +
      `ratio quell/yara MB/s: total ${res.ratioTotal}x, scan only ${res.ratioScanOnly}x\n`);
    process.stdout.write(JSON.stringify(res) + '\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
