/**
 * bench/inline: quell run against a C NFQUEUE accept loop (bench/inline/c/nfqc.c, built here, same
 * run), in two network namespaces. Three questions, each answered as a ratio to the C loop:
 *   (a) consumer capacity: the queue is filled while the consumer is stopped (SIGSTOP), then it
 *       drains (SIGCONT); rate = datagrams / (last - first arrival) at the receiver. Each rep runs
 *       C, then the quell columns; "vs C" = the median over the reps of quell's rate / C's rate of
 *       the same rep ((c) likewise).
 *   (b) added latency of one queue traversal: UDP request/response RTT. Each quell column runs at
 *       the same time as the C loop (C on queue 0, quell on queue 1) and an unqueued port; the
 *       client sends --rtt-block requests (500) to each port in turn, so the three sample sets
 *       interleave in time and see the same machine state (this VM's RTT is bimodal over seconds:
 *       separate runs per consumer compared one mode with the other). added = median (p99) -
 *       unqueued median (p99) of the same run; "vs C" = quell's median (p99) - C's of the same
 *       run; the median over the reps.
 *   (c) TCP throughput with GSO (one stream, 4 s).
 * quell runs with its default engine (decode, flows, TCP reassembly, app parsers) and, for the
 * headline, the rules of --rules (default signatures/rules/default.rules, as issue 5's goals ask),
 * passed to `quell run --rules`. The same engine without rules is measured in the same run as a
 * second column (the rules' own cost is the difference); --no-rules measures only that one.
 * Pinning: senders/clients on CPU0, consumer and receiver on CPU1, everything at nice -20.
 *
 * usage (root): node dist/bench/inline/inline.js [--reps N] [--quick] [--rules FILE | --no-rules]
 *               [--only a,b,c] [--engine-module FILE] [--profile DIR] [--rtt-n N] [--rtt-block N] [--cold] [--plumbing] [--quell-args 'A B'] [--node-args 'A B'] [--consumer-logs DIR]
 *               [--busy-poll US] [--c-busy-poll US]
 * Writes bench/out/inline.json and prints a markdown table. The machine is shared: the load
 * average is recorded next to every figure. For every quell run the worker's verdict-latency
 * histogram (time from recv return to verdict send, i.e. engine + worker loop per batch; see
 * docs/inline.md "Stats") is read from the final stats event and reported per question.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync, ChildProcess } from 'child_process';
import { NetnsPair, waitFor } from '../../test/helpers/netns';
import { ROOT, QUELL_BIN } from '../../test/helpers/paths';

const OUT = path.join(ROOT, 'bench', 'out');
const TOOLS = path.join(OUT, 'inline-tools');
const args = process.argv.slice(2);
const REPS = Number(args[args.indexOf('--reps') + 1]) || (args.includes('--quick') ? 1 : 3);
const DRAIN_N = 50_000;
/** RTT samples per configuration and rep (--rtt-n): 100 µs apart, so 30,000 take 3 s; a p99 then
 *  rests on 300 samples, not 100 */
const RTT_N = args.includes('--rtt-n') ? Number(args[args.indexOf('--rtt-n') + 1]) : args.includes('--quick') ? 3000 : 30_000;
/** --node-args 'A B ...': extra node options for every Node consumer (quell and the min loops) */
const NODE_ARGS = args.includes('--node-args') ? args[args.indexOf('--node-args') + 1].split(' ').filter(Boolean) : [];
/** --consumer-logs DIR: each consumer's stdout and stderr, one file per run (with --node-args
 *  '--trace-opt' for instance, to see what V8 compiles while a question is measured) */
const LOG_DIR = args.includes('--consumer-logs') ? path.resolve(args[args.indexOf('--consumer-logs') + 1]) : null;
/** --rtt-block N: (b) sends N requests to one port before the next (default 500, ~0.1 s). 1 would
 *  interleave request by request, but then each consumer's caches are cold from the other's work
 *  at every request, which penalises the larger process (a bias measured in docs/performance.md) */
const RTT_BLOCK = args.includes('--rtt-block') ? Number(args[args.indexOf('--rtt-block') + 1]) : 500;
/** --busy-poll US: every quell column runs with `quell run --busy-poll US` (the C loop does not,
 *  unless --c-busy-poll: then both use the same receive technique and the difference is the rest) */
const BUSY_US = args.includes('--busy-poll') ? Number(args[args.indexOf('--busy-poll') + 1]) : 0;
/** --c-busy-poll US: the C loop busy-polls too (bench/inline/c/nfqc.c BUSY_US) */
const C_BUSY_US = args.includes('--c-busy-poll') ? Number(args[args.indexOf('--c-busy-poll') + 1]) : 0;
/** --quell-args 'A B ...': extra arguments for every quell run column (e.g. '--max-flows 4096') */
const QUELL_ARGS = [...(args.includes('--quell-args') ? args[args.indexOf('--quell-args') + 1].split(' ').filter(Boolean) : []),
  ...(BUSY_US > 0 ? ['--busy-poll', String(BUSY_US)] : [])];
/** --cold: one more column, the headline's rules with `quell run --warmup 0` (no JIT warm-up) */
const COLD = args.includes('--cold');
/** --plumbing: columns that separate the receive/verdict plumbing from the engine: the smallest
 *  Node consumer of the addon (min-consumer.ts) in the main thread and in a worker thread, next to
 *  `quell run` with an accept-all engine (implies --no-rules and --engine-module accept-all.js) */
const PLUMBING = args.includes('--plumbing');
const TCP_SECS = 4;
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : ['a', 'b', 'c'];
/** quell run with another engine (e.g. an accept-all module) to separate plumbing from engine cost */
const ENGINE_MODULE = args.includes('--engine-module') ? path.resolve(args[args.indexOf('--engine-module') + 1])
  : args.includes('--plumbing') ? path.join(__dirname, 'accept-all.js') : null;
/** --profile DIR: quell consumers run with node --cpu-prof into DIR (one .cpuprofile per thread),
 *  to see where the engine's time goes; the figures of such a run are not comparable. */
const PROFILE_DIR = args.includes('--profile') ? path.resolve(args[args.indexOf('--profile') + 1]) : null;
/** The ruleset of the headline quell column (issue 5: "goals with the default ruleset"). */
const DEFAULT_RULES = path.join(ROOT, 'signatures', 'rules', 'default.rules');
const RULES: string | null = args.includes('--no-rules') || args.includes('--plumbing') ? null
  : args.includes('--rules') ? path.resolve(args[args.indexOf('--rules') + 1]) : DEFAULT_RULES;
if (args.includes('--no-rules') && args.includes('--rules')) { process.stderr.write('--rules and --no-rules exclude each other\n'); process.exit(2); }
if (RULES && !fs.existsSync(RULES)) { process.stderr.write(`--rules ${RULES}: no such file\n`); process.exit(2); }

function sh(cmd: string, a: string[]): string {
  const r = spawnSync(cmd, a, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${a.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg()[0];
const median = (xs: number[]) => { if (!xs.length) return NaN; const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function build(): void {
  fs.mkdirSync(TOOLS, { recursive: true });
  for (const t of ['nfqc', 'nettools']) sh('gcc', ['-O2', '-Wall', '-o', path.join(TOOLS, t), path.join(ROOT, 'bench', 'inline', 'c', `${t}.c`)]);
}

/** c = the C accept loop; quell = quell run with RULES (the headline); quell_norules = the same
 *  engine without rules, run only when RULES is set (otherwise `quell` already has no rules). */
type Consumer = 'c' | 'quell' | 'quell_norules' | 'quell_cold' | 'node_min' | 'node_min_worker';
const CONSUMERS: Consumer[] = PLUMBING ? ['c', 'node_min', 'node_min_worker', 'quell']
  : [...(RULES ? ['c', 'quell', 'quell_norules'] as Consumer[] : ['c', 'quell'] as Consumer[]), ...(COLD ? ['quell_cold' as Consumer] : [])];
const QUELLS = CONSUMERS.filter((k) => k !== 'c') as Exclude<Consumer, 'c'>[];

/** Per-packet verdict latency of one quell run (the worker's histogram, docs/inline.md "Stats"). */
interface VerdictLat { mean_us: number; p50_us: number; p99_us: number; packets: number; busy_hits?: number; busy_spin_s?: number; recv_calls?: number }
/** RTT median and p99 of one port in one interleaved run, us */
interface Lat { p50: number; p99: number }
type QuellHandle = { p: ChildProcess; err: () => string; out: () => string; eve: string | null; kind: Consumer };

class Bench {
  pair = NetnsPair.create('b');
  nt = path.join(TOOLS, 'nettools');

  /** spawn pinned at nice -20 in a namespace; collect stdout/stderr */
  run(ns: string, cpu: number, cmd: string, a: string[]): { p: ChildProcess; out: () => string; err: () => string } {
    const p = this.pair.spawn(ns, 'nice', ['-n', '-20', 'taskset', '-c', String(cpu), cmd, ...a]);
    let out = '', err = '';
    p.stdout!.on('data', (d) => { out += String(d); });
    p.stderr!.on('data', (d) => { err += String(d); });
    return { p, out: () => out, err: () => err };
  }

  async exited(p: ChildProcess, ms: number): Promise<void> {
    await waitFor(() => p.exitCode !== null || p.signalCode !== null, ms, 20);
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }

  /** INPUT of the server namespace: only these NFQUEUE rules (spec, queue number) */
  rule(spec: string | null, ...more: [string, number][]): void {
    sh('ip', ['netns', 'exec', this.pair.server, 'iptables', '-F', 'INPUT']);
    const all: [string, number][] = spec ? [[spec, 0], ...more] : more;
    for (const [sp, q] of all) sh('ip', ['netns', 'exec', this.pair.server, 'iptables', '-A', 'INPUT', ...sp.split(' '), '-j', 'NFQUEUE', '--queue-num', String(q)]);
  }

  async consumer(kind: Consumer, extra: { maxlen: number; rcvbuf: number }, queue = 0): Promise<QuellHandle> {
    // quell's EVE goes to a file so the final stats event (written on SIGTERM) can be read back;
    // with --stats-interval 3600 it is the only stats event, and no rule in RULES alerts on the
    // bench's traffic (UDP 9000/9100, TCP 5201), so the file stays small
    const minNode = kind === 'node_min' || kind === 'node_min_worker';
    const eve = kind === 'c' || minNode ? null : path.join(OUT, `inline-eve-${kind}.json`);
    const qs = String(queue);
    if (eve) fs.rmSync(eve, { force: true });
    const rules = (kind === 'quell' || kind === 'quell_cold') && RULES ? ['--rules', RULES] : [];
    if (kind === 'quell_cold') rules.push('--warmup', '0');
    const c = kind === 'c'
      ? this.run(this.pair.server, 1, path.join(TOOLS, 'nfqc'), [qs, String(extra.maxlen), String(extra.rcvbuf), '64', '120', '-1', String(C_BUSY_US)])
      : minNode ? this.run(this.pair.server, 1, process.execPath, [...NODE_ARGS, path.join(__dirname, 'min-consumer.js'), qs, String(extra.maxlen), String(extra.rcvbuf), '120', ...(kind === 'node_min_worker' ? ['--worker'] : [])])
      : this.run(this.pair.server, 1, process.execPath, [...NODE_ARGS, ...(PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', path.join(PROFILE_DIR, kind)] : []), QUELL_BIN, 'run', '--queues', qs, '--queue-maxlen', String(extra.maxlen), '--rcvbuf', String(extra.rcvbuf),
        '--eve', eve!, '--stats-interval', '3600', ...rules, ...QUELL_ARGS, ...(ENGINE_MODULE ? ['--engine-module', ENGINE_MODULE] : [])]);
    const ok = await waitFor(() => /ready/.test(c.err()) || c.p.exitCode !== null, 20_000, 20);
    if (!ok || c.p.exitCode !== null) throw new Error(`${kind} consumer did not start: ${c.err()}`);
    return { ...c, eve, kind };
  }

  /** Stop a consumer; for quell, return the verdict latency of its final stats event. */
  async stopConsumer(c: QuellHandle): Promise<VerdictLat | null> {
    c.p.kill('SIGCONT');
    c.p.kill('SIGTERM');
    await this.exited(c.p, 10_000);
    if (LOG_DIR) {
      fs.mkdirSync(LOG_DIR, { recursive: true });
      const n = fs.readdirSync(LOG_DIR).length;
      fs.writeFileSync(path.join(LOG_DIR, `${String(n).padStart(3, '0')}-${c.kind}.log`), `--- stdout\n${c.out()}\n--- stderr\n${c.err()}`);
    }
    return c.eve ? verdictLatency(c.eve) : null;
  }

  /** (a) drain rate in pkt/s */
  async drain(kind: Consumer): Promise<{ pps: number; load: number; vl: VerdictLat | null }> {
    this.rule('-p udp --dport 9000');
    const recv = this.run(this.pair.server, 0, this.nt, ['udprecv', '9000', '60', '1500']);
    await waitFor(() => /ready/.test(recv.err()), 5000);
    const c = await this.consumer(kind, { maxlen: 200_000, rcvbuf: 1 << 29 });
    const l = load();
    // nice/taskset wrap the consumer: stop the real process (the last exec in the chain is the same pid)
    c.p.kill('SIGSTOP');
    const s = this.run(this.pair.client, 0, this.nt, ['udpsend', this.pair.serverAddr, '9000', '64', String(DRAIN_N)]);
    await this.exited(s.p, 30_000);
    await waitFor(() => kernelInflight(this.pair) >= DRAIN_N, 5000);
    const inflight = kernelInflight(this.pair);
    c.p.kill('SIGCONT');
    await this.exited(recv.p, 60_000);
    const vl = await this.stopConsumer(c);
    const r = JSON.parse(recv.out().trim().split('\n').pop() ?? '{}');
    if (r.received !== DRAIN_N) process.stderr.write(`drain ${kind}: received ${r.received} of ${DRAIN_N} (queued ${inflight})\n`);
    return { pps: r.received / (r.last - r.first), load: l, vl };
  }

  /** (b) one interleaved run: unqueued port 9100, the C loop on queue 0 (port 9101), `kind` on
   *  queue 1 (port 9102); RTT median/p99 in us of each, from the same requests' time span */
  async rtt(kind: Consumer): Promise<{ none: Lat; c: Lat; k: Lat; load: number; vl: VerdictLat | null }> {
    this.rule(null, ['-p udp --dport 9101', 0], ['-p udp --dport 9102', 1]);
    const echo = this.run(this.pair.server, 1, this.nt, ['echon', '180', '9100', '9101', '9102']);
    await waitFor(() => /ready/.test(echo.err()), 5000);
    const extra = { maxlen: 8192, rcvbuf: 64 << 20 };
    const c = await this.consumer('c', extra, 0);
    const q = await this.consumer(kind, extra, 1);
    const l = load();
    const cl = this.run(this.pair.client, 0, this.nt, ['rttn', this.pair.serverAddr, String(RTT_N), '100', String(RTT_BLOCK), '9100', '9101', '9102']);
    await this.exited(cl.p, 180_000);
    const vl = await this.stopConsumer(q);
    await this.stopConsumer(c);
    echo.p.kill('SIGKILL');
    const r = JSON.parse(cl.out().trim()) as { ports: { port: number; n: number; lost: number; p50_us: number; p99_us: number }[] };
    for (const x of r.ports) if (x.n < RTT_N || x.lost) process.stderr.write(`rtt ${kind}: port ${x.port}: ${x.n} samples, ${x.lost} lost\n`);
    const lat = (i: number): Lat => ({ p50: r.ports[i].p50_us, p99: r.ports[i].p99_us });
    return { none: lat(0), c: lat(1), k: lat(2), load: l, vl };
  }

  /** (c) TCP Gbit/s; consumer null = no queue */
  async tcp(kind: Consumer | null): Promise<{ gbit: number; load: number; vl: VerdictLat | null }> {
    this.rule(kind ? '-p tcp --dport 5201' : null);
    const sink = this.run(this.pair.server, 1, this.nt, ['tcpsink', '5201', '20']);
    await waitFor(() => /ready/.test(sink.err()), 5000);
    const c = kind ? await this.consumer(kind, { maxlen: 8192, rcvbuf: 64 << 20 }) : null;
    const l = load();
    const s = this.run(this.pair.client, 0, this.nt, ['tcpsend', this.pair.serverAddr, '5201', String(TCP_SECS)]);
    await this.exited(s.p, (TCP_SECS + 20) * 1000);
    await this.exited(sink.p, 10_000);
    const vl = c ? await this.stopConsumer(c) : null;
    const r = JSON.parse(sink.out().trim() || '{"gbit_s":0}');
    return { gbit: r.gbit_s, load: l, vl };
  }
}

/**
 * The final stats event's verdict-latency histogram of worker 0 (docs/inline.md "Stats": per
 * packet, recv return -> verdict send, so engine + worker loop, not the kernel queue or the send).
 * p50/p99 are the upper bound of the histogram bucket that holds them (buckets 10 us .. 100 ms).
 */
function verdictLatency(eve: string): VerdictLat | null {
  let text = '';
  try { text = fs.readFileSync(eve, 'utf8'); } catch { return null; }
  const line = text.trim().split('\n').reverse().find((l) => l.includes('"event_type":"stats"'));
  if (!line) return null;
  const h = JSON.parse(line).inline?.workers?.[0]?.verdict_latency as { bounds: number[]; counts: number[]; sum: number; count: number } | null;
  if (!h || !h.count) return null;
  const q = (f: number): number => {
    let acc = 0;
    for (let i = 0; i < h.counts.length; i++) { acc += h.counts[i]; if (acc >= f * h.count) return i < h.bounds.length ? h.bounds[i] * 1e6 : Infinity; }
    return Infinity;
  };
  // --busy-poll: receives served while spinning (no wake-up) and the time spent spinning
  const bq = JSON.parse(line).inline?.queues?.[0] as { busy_poll: { hits: number; spin_us: number } | null; batches: number } | undefined;
  const busy = bq?.busy_poll ? { busy_hits: bq.busy_poll.hits, busy_spin_s: bq.busy_poll.spin_us / 1e6, recv_calls: bq.batches } : {};
  return { mean_us: (h.sum / h.count) * 1e6, p50_us: q(0.5), p99_us: q(0.99), packets: h.count, ...busy };
}

function kernelInflight(pair: NetnsPair): number {
  const t = pair.exec(pair.server, 'cat', ['/proc/net/netfilter/nfnetlink_queue']).stdout.trim();
  if (!t) return 0;
  return Number(t.split(/\s+/)[2]);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) { process.stderr.write('bench/inline needs root (network namespaces, NFQUEUE)\n'); process.exit(1); }
  build();
  const b = new Bench();
  const res: Record<string, unknown> = {
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, kernel ${os.release()}, node ${process.version}`,
    reps: REPS, started: new Date().toISOString(),
    rules: RULES ? path.relative(ROOT, RULES) : null,
    busy_poll_us: { quell: BUSY_US, c: C_BUSY_US }, quell_args: QUELL_ARGS,
    engine: ENGINE_MODULE ?? 'default (src/engine/pipeline)',
  };
  try {
    const loads: number[] = [];
    const vls: Record<string, VerdictLat[]> = {};
    const keepVl = (q: string, k: Consumer | null, vl: VerdictLat | null): void => { if (k && vl) (vls[`${q}.${k}`] ??= []).push(vl); };
    const drain: Record<string, number[]> = {};
    for (const k of CONSUMERS) drain[k] = [];
    for (let i = 0; i < REPS && ONLY.includes('a'); i++) {
      for (const k of CONSUMERS) { const r = await b.drain(k); drain[k].push(r.pps); loads.push(r.load); keepVl('a', k, r.vl); await sleep(300); }
    }
    const withNone: (Consumer | null)[] = [null, ...CONSUMERS];
    // rtt[k]: per rep, k's own figures and those of the C loop and the unqueued port of the same
    // interleaved run; rtt.c and rtt.none gather every run's C and unqueued figures
    const rtt: Record<string, { p50: number[]; p99: number[]; c_p50: number[]; c_p99: number[]; none_p50: number[]; none_p99: number[] }> = {};
    for (const k of withNone) rtt[k ?? 'none'] = { p50: [], p99: [], c_p50: [], c_p99: [], none_p50: [], none_p99: [] };
    const pushLat = (k: string, x: Lat, c: Lat, none: Lat): void => {
      const e = rtt[k];
      e.p50.push(x.p50); e.p99.push(x.p99); e.c_p50.push(c.p50); e.c_p99.push(c.p99); e.none_p50.push(none.p50); e.none_p99.push(none.p99);
    };
    for (let i = 0; i < REPS && ONLY.includes('b'); i++) {
      for (const k of QUELLS) {
        const r = await b.rtt(k);
        pushLat(k, r.k, r.c, r.none); pushLat('c', r.c, r.c, r.none); pushLat('none', r.none, r.c, r.none);
        loads.push(r.load); keepVl('b', k, r.vl); await sleep(300);
      }
    }
    const tcp: Record<string, number[]> = {};
    for (const k of withNone) tcp[k ?? 'none'] = [];
    for (let i = 0; i < REPS && ONLY.includes('c'); i++) {
      for (const k of withNone) { const r = await b.tcp(k); tcp[k ?? 'none'].push(r.gbit); loads.push(r.load); keepVl('c', k, r.vl); await sleep(300); }
    }
    const m = (xs: number[]) => median(xs);
    // paired: the difference inside each interleaved run, then the median over the runs
    const diff = (k: string, q: 'p50' | 'p99', base: 'c' | 'none') => m(rtt[k][q].map((x, i) => x - rtt[k][`${base}_${q}`][i]));
    const added = (k: Consumer, q: 'p50' | 'p99') => diff(k, q, 'none');
    res.drain_pps = drain; res.rtt_us = rtt; res.tcp_gbit = tcp;
    res.load_avg = { min: Math.min(...loads), max: Math.max(...loads) };
    // verdict latency per question and quell column: median over the reps of each figure
    const vlSummary: Record<string, VerdictLat> = {};
    for (const [key, xs] of Object.entries(vls)) {
      vlSummary[key] = { mean_us: m(xs.map((x) => x.mean_us)), p50_us: m(xs.map((x) => x.p50_us)), p99_us: m(xs.map((x) => x.p99_us)), packets: m(xs.map((x) => x.packets)) };
      if (xs[0].busy_hits !== undefined) Object.assign(vlSummary[key], { busy_hits: m(xs.map((x) => x.busy_hits!)), busy_spin_s: m(xs.map((x) => x.busy_spin_s!)), recv_calls: m(xs.map((x) => x.recv_calls!)) });
    }
    res.verdict_latency = vls;
    const summary: Record<string, unknown> = {};
    for (const k of QUELLS) {
      summary[k] = {
        // paired, like (b): the ratio within each rep (C ran just before), then the median; the
        // ratio of the medians is kept next to it (the C loop's own rate moves by up to 25 %
        // between reps on this VM, and a median C from one rep against a median quell from
        // another mixes machine states)
        capacity_ratio: m(drain[k].map((x, i) => x / drain.c[i])),
        capacity_ratio_of_medians: m(drain[k]) / m(drain.c),
        added_p50_us: added(k, 'p50'), added_p99_us: added(k, 'p99'),
        over_c_p50_us: diff(k, 'p50', 'c'), over_c_p99_us: diff(k, 'p99', 'c'),
        tcp_ratio: m(tcp[k].map((x, i) => x / tcp.c[i])),
        tcp_ratio_of_medians: m(tcp[k]) / m(tcp.c),
        verdict_latency: { a: vlSummary[`a.${k}`] ?? null, b: vlSummary[`b.${k}`] ?? null, c: vlSummary[`c.${k}`] ?? null },
      };
    }
    summary.c = { added_p50_us: added('c', 'p50'), added_p99_us: added('c', 'p99') };
    res.summary = summary;
    const label = (k: Consumer) => k === 'c' ? 'C accept loop'
      : k === 'quell' ? (RULES ? `quell run --rules ${path.basename(RULES)}` : ENGINE_MODULE ? `quell run --engine-module ${path.basename(ENGINE_MODULE)}` : 'quell run, no rules')
      : k === 'quell_cold' ? `quell run${RULES ? ` --rules ${path.basename(RULES)}` : ''} --warmup 0`
      : k === 'node_min' ? 'min Node loop, main thread' : k === 'node_min_worker' ? 'min Node loop, worker thread' : 'quell run, no rules';
    const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
    const sgn = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
    const cols = (f: (k: Consumer) => string) => CONSUMERS.map(f).join(' | ');
    const sq = (k: Consumer) => summary[k] as { capacity_ratio: number; over_c_p50_us: number; over_c_p99_us: number; tcp_ratio: number };
    const rows = [
      `| question | ${cols(label)} | ${QUELLS.map((k) => `${label(k)} vs C`).join(' | ')} | goal |`,
      `|---|${CONSUMERS.map(() => '---|').join('')}${QUELLS.map(() => '---|').join('')}---|`,
      `| (a) drain capacity, pkt/s (64 B UDP, ${DRAIN_N} queued) | ${cols((k) => Math.round(m(drain[k])).toLocaleString('en'))} | ${QUELLS.map((k) => pct(sq(k).capacity_ratio)).join(' | ')} | >= 70 % |`,
      `| (b) added latency, median us (no queue: ${m(rtt.none.p50).toFixed(1)}) | ${cols((k) => sgn(added(k, 'p50')))} | ${QUELLS.map((k) => `${sgn(sq(k).over_c_p50_us)} us`).join(' | ')} | <= C + 5 us |`,
      `| (b) added latency, p99 us (no queue: ${m(rtt.none.p99).toFixed(1)}) | ${cols((k) => sgn(added(k, 'p99')))} | ${QUELLS.map((k) => `${sgn(sq(k).over_c_p99_us)} us`).join(' | ')} | <= C + 25 us |`,
      `| (c) TCP, Gbit/s, 1 stream, GSO (no queue: ${m(tcp.none).toFixed(2)}) | ${cols((k) => m(tcp[k]).toFixed(2))} | ${QUELLS.map((k) => pct(sq(k).tcp_ratio)).join(' | ')} | >= 70 % |`,
    ];
    const vlRows = ['', '| quell verdict latency per packet (recv return -> verdict send; mean, bucket of p50/p99) | ' + QUELLS.map(label).join(' | ') + ' |',
      `|---|${QUELLS.map(() => '---|').join('')}`];
    for (const [q, name] of [['a', '(a) drain (batches up to 64)'], ['b', '(b) RTT (1-packet batches)'], ['c', '(c) TCP']] as const) {
      if (!QUELLS.some((k) => vlSummary[`${q}.${k}`])) continue;
      vlRows.push(`| ${name} | ${QUELLS.map((k) => { const v = vlSummary[`${q}.${k}`]; return v ? `${v.mean_us.toFixed(1)} us (p50 <= ${v.p50_us} us, p99 <= ${v.p99_us} us)` : '-'; }).join(' | ')} |`);
      if (BUSY_US > 0) vlRows.push(`| ${name}: busy poll, receives served while spinning; time spinning | ${QUELLS.map((k) => { const v = vlSummary[`${q}.${k}`]; return v && v.busy_hits !== undefined ? `${v.busy_hits.toLocaleString('en')} of ${v.recv_calls!.toLocaleString('en')}; ${v.busy_spin_s!.toFixed(2)} s` : '-'; }).join(' | ')} |`);
    }
    // --only: leave out the rows of questions not measured
    const measured = (row: string) => !/^\| \(([abc])\)/.test(row) || ONLY.includes(row[3]);
    res.table = rows.filter(measured).join('\n') + '\n' + vlRows.join('\n');
    const la = res.load_avg as { min: number; max: number };
    const bp = BUSY_US || C_BUSY_US ? `; busy poll: quell ${BUSY_US ? `${BUSY_US} us` : 'off'}, C loop ${C_BUSY_US ? `${C_BUSY_US} us` : 'off'}` : '';
    process.stdout.write(`${res.table}\n\nrules: ${res.rules ?? 'none'}${bp}; median of ${REPS} run(s); load average during the runs ${la.min.toFixed(1)}-${la.max.toFixed(1)} on ${res.machine}\n`);
  } finally {
    b.pair.destroy();
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(path.join(OUT, 'inline.json'), JSON.stringify(res, null, 2) + '\n');
  }
}

void main().catch((e) => { process.stderr.write(String(e.stack ?? e) + '\n'); process.exit(1); });
