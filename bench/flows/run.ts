/**
 * bench/flows: packets/s of `quell flows` (one worker, and all cores) next to `ndpiReader -i FILE`
 * on the same >= 100 MB capture (bench/make-big-capture.sh), in the same run, as a ratio.
 *
 *   node dist/bench/flows/run.js [--rounds N] [--file F]
 *
 * Each round runs the three commands back to back (ndpiReader, quell --workers 1, quell
 * --workers <cores>) under /usr/bin/time; the median wall time per command gives packets/s.
 * CPU seconds (user+sys) are reported too: on a shared machine they are steadier than wall time.
 * Then, in the same run, bench/flows/steady.js (the engine in process, warm JIT, `quell flows`
 * configuration, best of 5 rounds) for the warm per-core rate next to ndpiReader's.
 *
 * With `taskset` available, each round also runs ndpiReader and quell --workers 1 pinned to one
 * CPU (the last one): what "one core" means literally, V8's compiler and GC threads included
 * (ratio_1_core_pinned, wall time; on two cores they run beside the main thread).
 *
 * Two ratios, both labelled in the output:
 *  - ratio_1_core_cpu (HEADLINE, what issue 3 asks: `quell flows` one worker vs ndpiReader, the
 *    whole one-shot process, CPU seconds): includes node start-up, module load and JIT warm-up,
 *    which a one-shot run over a 100 MB file cannot amortise;
 *  - ratio_1_core_warm_cpu: the engine once warm (what `quell run` and long replays pay per packet).
 * Writes bench/out/flows.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const QUELL = path.join(ROOT, 'bin', 'quell.js');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

interface Run { wall: number; cpu: number; rssKb: number }

function timed(cmd: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', ...cmd], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 900_000 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr.slice(-500)}`);
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from ${cmd[0]}`);
  return { wall: +m[1], cpu: +m[2] + +m[3], rssKb: +m[4] };
}

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

function main(): void {
  const rounds = Number(arg('--rounds', '3'));
  let file = arg('--file', '');
  if (!file) {
    const mk = spawnSync('bash', [path.join(ROOT, 'bench', 'make-big-capture.sh')], { encoding: 'utf8' });
    const m = /path=(\S+) packets=(\d+) bytes=(\d+)/.exec(mk.stdout);
    if (!m) throw new Error(`make-big-capture failed: ${mk.stderr}`);
    file = m[1];
  }
  const cores = os.availableParallelism();
  // packet count from quell itself (stderr summary)
  const probe = spawnSync(process.execPath, [QUELL, 'flows', file, '--workers', '1'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const pm = /(\d+) packets, (\d+) flows/.exec(probe.stderr);
  if (!pm) throw new Error('cannot count packets');
  const packets = Number(pm[1]), flows = Number(pm[2]);
  const runs: Record<string, Run[]> = { ndpi: [], quell1: [], quellN: [], ndpiPinned: [], quell1Pinned: [] };
  const pin = spawnSync('taskset', ['-c', String(cores - 1), 'true']).status === 0 ? ['taskset', '-c', String(cores - 1)] : null;
  for (let r = 0; r < rounds; r++) {
    runs.ndpi.push(timed(['ndpiReader', '-i', file, '-q']));
    runs.quell1.push(timed([process.execPath, QUELL, 'flows', file, '--workers', '1', '--quiet']));
    runs.quellN.push(timed([process.execPath, QUELL, 'flows', file, '--workers', String(cores), '--quiet']));
    if (pin) {
      runs.ndpiPinned.push(timed([...pin, 'ndpiReader', '-i', file, '-q']));
      runs.quell1Pinned.push(timed([...pin, process.execPath, QUELL, 'flows', file, '--workers', '1', '--quiet']));
    }
  }
  const sum = (k: string) => {
    const wall = median(runs[k].map((x) => x.wall)), cpu = median(runs[k].map((x) => x.cpu));
    return { wall_s: wall, cpu_s: cpu, pps_wall: Math.round(packets / wall), pps_cpu: Math.round(packets / cpu), max_rss_mb: Math.round(median(runs[k].map((x) => x.rssKb)) / 1024) };
  };
  const ndpi = sum('ndpi'), q1 = sum('quell1'), qn = sum('quellN');
  const pinned = pin ? { ndpiReader: sum('ndpiPinned'), quell_workers_1: sum('quell1Pinned') } : null;
  const st = spawnSync(process.execPath, [path.join(__dirname, 'steady.js'), file, '--rounds', '5'], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 900_000 });
  if (st.status !== 0) throw new Error(`steady.js failed: ${st.stderr.slice(-500)}`);
  const steady = JSON.parse(st.stdout) as Record<string, unknown>;
  const load = os.loadavg();
  const out = {
    file, bytes: fs.statSync(file).size, packets, flows, rounds, cores,
    machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, load avg ${load.map((x) => x.toFixed(1)).join('/')}`,
    ndpiReader: ndpi, quell_workers_1: q1, [`quell_workers_${cores}`]: qn,
    headline: 'ratio_1_core_cpu: quell flows --workers 1 (whole process, cold) vs ndpiReader, CPU seconds, same run',
    ratio_1_core_wall: +(q1.pps_wall / ndpi.pps_wall).toFixed(3),
    ratio_1_core_cpu: +(q1.pps_cpu / ndpi.pps_cpu).toFixed(3),
    warm_in_process: steady,
    ratio_1_core_warm_cpu: +(Number(steady.quell_second_half_cpu_pps) / ndpi.pps_cpu).toFixed(3),
    ratio_all_cores_wall: +(qn.pps_wall / ndpi.pps_wall).toFixed(3),
    pinned_to_one_cpu: pinned,
    ratio_1_core_pinned: pinned ? +(pinned.quell_workers_1.pps_wall / pinned.ndpiReader.pps_wall).toFixed(3) : null,
  };
  fs.mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench', 'out', 'flows.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out, null, 2));
}

main();
