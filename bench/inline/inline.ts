/**
 * bench/inline: quell run against a C NFQUEUE accept loop (bench/inline/c/nfqc.c, built here, same
 * run), in two network namespaces. Three questions, each answered as a ratio to the C loop:
 *   (a) consumer capacity: the queue is filled while the consumer is stopped (SIGSTOP), then it
 *       drains (SIGCONT); rate = datagrams / (last - first arrival) at the receiver.
 *   (b) added latency of one queue traversal: UDP request/response RTT, requests queued only;
 *       added = consumer median (p99) - no-queue median (p99).
 *   (c) TCP throughput with GSO (one stream, 4 s).
 * quell runs with its default engine (decode, flows, TCP reassembly, app parsers) and no rules.
 * Pinning: senders/clients on CPU0, consumer and receiver on CPU1, everything at nice -20.
 *
 * usage (root): node dist/bench/inline/inline.js [--reps N] [--quick]
 * Writes bench/out/inline.json and prints a markdown table. The machine is shared: the load
 * average is recorded next to every figure.
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
const RTT_N = args.includes('--quick') ? 3000 : 10_000;
const TCP_SECS = 4;
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : ['a', 'b', 'c'];
/** quell run with another engine (e.g. an accept-all module) to separate plumbing from engine cost */
const ENGINE_MODULE = args.includes('--engine-module') ? path.resolve(args[args.indexOf('--engine-module') + 1]) : null;

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

type Consumer = 'c' | 'quell';

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

  rule(spec: string | null): void {
    sh('ip', ['netns', 'exec', this.pair.server, 'iptables', '-F', 'INPUT']);
    if (spec) sh('ip', ['netns', 'exec', this.pair.server, 'iptables', '-A', 'INPUT', ...spec.split(' '), '-j', 'NFQUEUE', '--queue-num', '0']);
  }

  async consumer(kind: Consumer, extra: { maxlen: number; rcvbuf: number }): Promise<{ p: ChildProcess; err: () => string; out: () => string }> {
    const c = kind === 'c'
      ? this.run(this.pair.server, 1, path.join(TOOLS, 'nfqc'), ['0', String(extra.maxlen), String(extra.rcvbuf), '64', '120'])
      : this.run(this.pair.server, 1, process.execPath, [QUELL_BIN, 'run', '--queues', '0', '--queue-maxlen', String(extra.maxlen), '--rcvbuf', String(extra.rcvbuf),
        '--eve', '/dev/null', '--stats-interval', '3600', ...(ENGINE_MODULE ? ['--engine-module', ENGINE_MODULE] : [])]);
    const ok = await waitFor(() => /ready/.test(c.err()) || c.p.exitCode !== null, 20_000, 20);
    if (!ok || c.p.exitCode !== null) throw new Error(`${kind} consumer did not start: ${c.err()}`);
    return c;
  }

  async stopConsumer(c: { p: ChildProcess }): Promise<void> {
    c.p.kill('SIGCONT');
    c.p.kill('SIGTERM');
    await this.exited(c.p, 10_000);
  }

  /** (a) drain rate in pkt/s */
  async drain(kind: Consumer): Promise<{ pps: number; load: number }> {
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
    await this.stopConsumer(c);
    const r = JSON.parse(recv.out().trim().split('\n').pop() ?? '{}');
    if (r.received !== DRAIN_N) process.stderr.write(`drain ${kind}: received ${r.received} of ${DRAIN_N} (queued ${inflight})\n`);
    return { pps: r.received / (r.last - r.first), load: l };
  }

  /** (b) RTT median/p99 in us; consumer null = no queue */
  async rtt(kind: Consumer | null): Promise<{ p50: number; p99: number; load: number }> {
    this.rule(kind ? '-p udp --dport 9100' : null);
    const echo = this.run(this.pair.server, 1, this.nt, ['echo', '9100', '120']);
    await waitFor(() => /ready/.test(echo.err()), 5000);
    const c = kind ? await this.consumer(kind, { maxlen: 8192, rcvbuf: 64 << 20 }) : null;
    const l = load();
    const cl = this.run(this.pair.client, 0, this.nt, ['rtt', this.pair.serverAddr, '9100', String(RTT_N), '100']);
    await this.exited(cl.p, 120_000);
    if (c) await this.stopConsumer(c);
    echo.p.kill('SIGKILL');
    const r = JSON.parse(cl.out().trim());
    return { p50: r.p50_us, p99: r.p99_us, load: l };
  }

  /** (c) TCP Gbit/s; consumer null = no queue */
  async tcp(kind: Consumer | null): Promise<{ gbit: number; load: number }> {
    this.rule(kind ? '-p tcp --dport 5201' : null);
    const sink = this.run(this.pair.server, 1, this.nt, ['tcpsink', '5201', '20']);
    await waitFor(() => /ready/.test(sink.err()), 5000);
    const c = kind ? await this.consumer(kind, { maxlen: 8192, rcvbuf: 64 << 20 }) : null;
    const l = load();
    const s = this.run(this.pair.client, 0, this.nt, ['tcpsend', this.pair.serverAddr, '5201', String(TCP_SECS)]);
    await this.exited(s.p, (TCP_SECS + 20) * 1000);
    await this.exited(sink.p, 10_000);
    if (c) await this.stopConsumer(c);
    const r = JSON.parse(sink.out().trim() || '{"gbit_s":0}');
    return { gbit: r.gbit_s, load: l };
  }
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
  const res: Record<string, unknown> = { machine: `${os.cpus().length} x ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, kernel ${os.release()}, node ${process.version}`, reps: REPS, started: new Date().toISOString() };
  try {
    const drain: Record<Consumer, number[]> = { c: [], quell: [] };
    const loads: number[] = [];
    for (let i = 0; i < REPS && ONLY.includes('a'); i++) {
      for (const k of ['c', 'quell'] as Consumer[]) { const r = await b.drain(k); drain[k].push(r.pps); loads.push(r.load); await sleep(300); }
    }
    const rtt: Record<string, { p50: number[]; p99: number[] }> = { none: { p50: [], p99: [] }, c: { p50: [], p99: [] }, quell: { p50: [], p99: [] } };
    for (let i = 0; i < REPS && ONLY.includes('b'); i++) {
      for (const k of [null, 'c', 'quell'] as (Consumer | null)[]) { const r = await b.rtt(k); rtt[k ?? 'none'].p50.push(r.p50); rtt[k ?? 'none'].p99.push(r.p99); loads.push(r.load); await sleep(300); }
    }
    const tcp: Record<string, number[]> = { none: [], c: [], quell: [] };
    for (let i = 0; i < REPS && ONLY.includes('c'); i++) {
      for (const k of [null, 'c', 'quell'] as (Consumer | null)[]) { const r = await b.tcp(k); tcp[k ?? 'none'].push(r.gbit); loads.push(r.load); await sleep(300); }
    }
    const m = (xs: number[]) => median(xs);
    const added = (k: 'c' | 'quell', q: 'p50' | 'p99') => m(rtt[k][q]) - m(rtt.none[q]);
    res.drain_pps = drain; res.rtt_us = rtt; res.tcp_gbit = tcp;
    res.load_avg = { min: Math.min(...loads), max: Math.max(...loads) };
    res.engine = ENGINE_MODULE ?? 'default (src/engine/pipeline, no rules)';
    res.summary = {
      capacity_ratio: m(drain.quell) / m(drain.c),
      added_p50_us: { c: added('c', 'p50'), quell: added('quell', 'p50') },
      added_p99_us: { c: added('c', 'p99'), quell: added('quell', 'p99') },
      tcp_ratio: m(tcp.quell) / m(tcp.c),
    };
    const s = res.summary as any;
    const rows = [
      '| question | C accept loop | quell run (default engine) | ratio / difference | goal |',
      '|---|---|---|---|---|',
      `| (a) drain capacity, pkt/s (64 B UDP, ${DRAIN_N} queued) | ${Math.round(m(drain.c)).toLocaleString('en')} | ${Math.round(m(drain.quell)).toLocaleString('en')} | ${(s.capacity_ratio * 100).toFixed(0)} % | >= 70 % |`,
      `| (b) added latency, median us (no queue: ${m(rtt.none.p50).toFixed(1)}) | +${s.added_p50_us.c.toFixed(1)} | +${s.added_p50_us.quell.toFixed(1)} | ${(s.added_p50_us.quell - s.added_p50_us.c).toFixed(1)} us | <= C + 5 us |`,
      `| (b) added latency, p99 us (no queue: ${m(rtt.none.p99).toFixed(1)}) | +${s.added_p99_us.c.toFixed(1)} | +${s.added_p99_us.quell.toFixed(1)} | ${(s.added_p99_us.quell - s.added_p99_us.c).toFixed(1)} us | <= C + 25 us |`,
      `| (c) TCP, Gbit/s, 1 stream, GSO (no queue: ${m(tcp.none).toFixed(2)}) | ${m(tcp.c).toFixed(2)} | ${m(tcp.quell).toFixed(2)} | ${(s.tcp_ratio * 100).toFixed(0)} % | >= 70 % |`,
    ];
    res.table = rows.join('\n');
    process.stdout.write(`${res.table}\n\nmedian of ${REPS} run(s); load average during the runs ${(res.load_avg as any).min.toFixed(1)}-${(res.load_avg as any).max.toFixed(1)} on ${res.machine}\n`);
  } finally {
    b.pair.destroy();
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(path.join(OUT, 'inline.json'), JSON.stringify(res, null, 2) + '\n');
  }
}

void main().catch((e) => { process.stderr.write(String(e.stack ?? e) + '\n'); process.exit(1); });
