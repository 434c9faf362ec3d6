/**
 * bench/flows/memory: 1,000,000 distinct TCP flows (one SYN each, written by syn-capture.ts into
 * a temp dir) through `quell flows` with a flow memcap (default 100,000): evictions counted and
 * the peak RSS of the process (/usr/bin/time %M), next to the same run with a memcap of 10,000.
 *
 *   node dist/bench/flows/memory.js [--flows N]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeSynCapture } from './syn-capture';

const QUELL = path.resolve(__dirname, '..', '..', '..', 'bin', 'quell.js');

function main(): void {
  const i = process.argv.indexOf('--flows');
  const flows = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-flows-mem-'));
  try {
    const cap = path.join(dir, 'syn.pcap');
    writeSynCapture(cap, flows);
    const rows = [];
    for (const memcap of [10_000, 100_000]) {
      const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', process.execPath, QUELL, 'flows', cap, '--workers', '1', '--max-flows', String(memcap)],
        { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 1_800_000 });
      if (r.status !== 0) throw new Error(r.stderr);
      const t = /TIME ([\d.]+) (\d+)/.exec(r.stderr)!;
      const s = /(\d+) packets, (\d+) flows \((\d+) evicted by memcap\)/.exec(r.stderr)!;
      const lines = r.stdout.split('\n').filter(Boolean).length;
      rows.push({ flows, memcap, packets: +s[1], flows_reported: lines, evicted: +s[3], wall_s: +t[1], peak_rss_mb: Math.round(+t[2] / 1024) });
    }
    console.log(JSON.stringify({ capture_bytes: fs.statSync(cap).size, runs: rows }, null, 2));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
