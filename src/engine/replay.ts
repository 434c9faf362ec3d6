/**
 * Offline driver: capture file -> engine(s) -> ordered output lines. Used by `quell replay`
 * (EVE) and `quell flows`.
 *
 * workers = 1: the engine runs in this thread (no hand-off cost at all).
 * workers = N > 1: N worker_threads, each owning one engine (a shard of the flows). Per batch
 * ("round"), this thread computes every packet's shard with a cheap symmetric hash of the
 * addresses (+ TCP ports) (shard.ts), copies the batch's bytes ONCE into a SharedArrayBuffer
 * slot that all workers read, and posts each worker the descriptor rows of its packets (offsets
 * rebased to the shared slot). Hand-offs are per batch, never per packet. Up to IN_FLIGHT rounds
 * are outstanding; results are merged per round in the deterministic order of order.ts, so the
 * output is byte-identical whatever N.
 *
 * Why not piscina: piscina hands each task to whichever thread is free; flow state must stay in
 * the worker that owns the flow (affinity by flow hash), and each round must reach every worker
 * (so the timeout sweep advances identically). A fixed set of long-lived workers fed by
 * postMessage fits that directly; see docs/engine.md.
 *
 * Determinism: the timeout sweep runs at the end of each round with the round's newest packet
 * time (the same value in every worker), and a flow's own timeout/close decisions depend only on
 * its own packets. What differs with N: the flow memcap is split evenly between workers
 * (maxFlows / N each), so captures that hit the memcap can evict different flows.
 */
import type { Worker } from 'worker_threads';
import * as path from 'path';
import { openCapture } from '../io/capture';
import { D_ID, D_OFF, D_CAPLEN, D_LINK, D_TS_SEC, D_TS_NSEC, DESC_STRIDE } from '../io/batch';
import { QuellEngine, EngineOptions } from './pipeline';
import type { EngineEvent } from './types';
import { compareKeys, keyOf, OrderKey } from './order';
import { formatterFor, OutputFormat } from './replay-format';
import { shardOf } from './shard';
import type { DetectMode } from './detect';
import type { CompiledRuleset } from '../../signatures/ruleset';

/** Packets per batch read from the capture (and per round handed to workers). */
export const REPLAY_BATCH = 1024;
/** Flows ended per chunk at end of input (in-thread). */
export const FLUSH_CHUNK = 4096;
/** Rounds outstanding between the reader thread and the workers. */
export const IN_FLIGHT = 4;

export interface ReplayOptions {
  workers: number;
  format: OutputFormat;
  engine?: EngineOptions;
  batchSize?: number;
  /** Receives ordered lines (no newline), once per round. */
  write: (lines: string[]) => Promise<void> | void;
  progress?: (bytesConsumed: number, packets: number) => void;
  /** In-thread only: called with the engine before the first batch (tests: stream taps). */
  onEngine?: (e: QuellEngine) => void;
  /** Detection (quell replay --rules): the compiled ruleset (structured-cloned to each worker)
   *  and the verdict mode ('ids' reports, 'simulate' = --simulate-ips). See docs/detection.md. */
  detect?: { ruleset: CompiledRuleset; mode: DetectMode; timeZone?: string } | null;
}

/** An engine for replay, with the detector when rules are given (also used by worker.ts). */
export function replayEngine(eopts: EngineOptions, detect: { ruleset: CompiledRuleset; mode: DetectMode; timeZone?: string } | null | undefined): QuellEngine {
  if (!detect) return new QuellEngine(eopts);
  // time.hour/weekday/minute zone (quell replay --time-zone; src/ops/time.ts): the detector's own
  // WorkerOps takes this thread's default zone; always set (UTC when not given) so an earlier
  // replay in the same thread cannot leave its zone behind
  (require('../ops/time') as typeof import('../ops/time')).setDefaultTimeZone(detect.timeZone ?? 'UTC');
  // loaded only with rules: the signature runtime costs ~75 ms of start-up that `quell flows` and
  // rule-less replays do not need
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { createDetector } = require('./detect') as typeof import('./detect');
  const det = createDetector(detect.ruleset, { mode: detect.mode });
  return new QuellEngine({ ...eopts, detect: det, ruleset: detect.ruleset });
}

export interface ReplayResult {
  packets: number;
  lines: number;
  firstUs: number;
  lastUs: number;
  stats: Record<string, unknown>;
  workers: number;
}

/** Sum numeric leaves of stats objects (worker merge). */
export function mergeStats(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (typeof v === 'number') out[k] = (typeof cur === 'number' ? cur : 0) + v;
    else if (v && typeof v === 'object') out[k] = mergeStats((cur && typeof cur === 'object' ? cur : {}) as Record<string, unknown>, v as Record<string, unknown>);
    else if (cur === undefined) out[k] = v;
  }
  return out;
}

function engineOptionsFor(format: OutputFormat, base: EngineOptions | undefined, workers: number): EngineOptions {
  const e: EngineOptions = { ...(base ?? {}) };
  if (format === 'flows') {
    e.appEvents = false; e.flowSummaries = true;
    // flow summaries read no bodies: do not keep them (the parser still frames and counts them)
    e.httpLimits = { ...(e.httpLimits ?? {}), maxRequestBody: 0, maxResponseBody: 0 };
  }
  else { e.appEvents = e.appEvents ?? true; e.flowSummaries = e.flowSummaries ?? false; }
  if (workers > 1 && e.maxFlows !== undefined) e.maxFlows = Math.max(1, Math.ceil(e.maxFlows / workers));
  return e;
}

export async function runReplay(file: string, opts: ReplayOptions): Promise<ReplayResult> {
  const n = Math.max(1, Math.floor(opts.workers));
  const batchSize = opts.batchSize ?? REPLAY_BATCH;
  const eopts = engineOptionsFor(opts.format, opts.engine, n);
  const reader = await openCapture(file);
  const res: ReplayResult = { packets: 0, lines: 0, firstUs: 0, lastUs: 0, stats: {}, workers: n };
  try {
    if (n === 1) await inThread(reader, opts, eopts, batchSize, res);
    else await withWorkers(reader, opts, eopts, batchSize, n, res);
  } finally {
    await reader.close();
  }
  // counters keyed by name (decode events) appear in first-seen order per worker: sort them so
  // the stats record is identical whatever N
  const dec = res.stats.decoder as Record<string, unknown> | undefined;
  if (dec && dec.event && typeof dec.event === 'object') {
    const ev = dec.event as Record<string, number>;
    dec.event = Object.fromEntries(Object.keys(ev).sort().map((k) => [k, ev[k]]));
  }
  return res;
}

function batchTimes(desc: Uint32Array, count: number, res: ReplayResult): number {
  let max = 0;
  for (let i = 0; i < count; i++) {
    const d = i * DESC_STRIDE;
    const us = desc[d + D_TS_SEC] * 1e6 + Math.floor(desc[d + D_TS_NSEC] / 1000);
    if (us > max) max = us;
    if (res.packets === 0 && i === 0) res.firstUs = us;
  }
  if (max > res.lastUs) res.lastUs = max;
  return max;
}

function order(events: readonly EngineEvent[], firstOrd: number, fmt: (e: EngineEvent) => string | null): string[] {
  // One worker produces events already in key order except around the end-of-batch sweep (its
  // flows end per timeout class, not by end time): check that in one pass and sort only when
  // needed (the keys are unique, so the result is the same as always sorting).
  const n = events.length;
  const keys: OrderKey[] = new Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    keys[i] = keyOf(events[i], firstOrd);
    if (i > 0 && sorted && compareKeys(keys[i - 1], keys[i]) > 0) sorted = false;
  }
  const lines: string[] = [];
  if (sorted) {
    for (let i = 0; i < n; i++) { const line = fmt(events[i]); if (line !== null) lines.push(line); }
    return lines;
  }
  const items: { k: OrderKey; line: string }[] = [];
  for (let i = 0; i < n; i++) {
    const line = fmt(events[i]);
    if (line !== null) items.push({ k: keys[i], line });
  }
  items.sort((a, b) => compareKeys(a.k, b.k));
  for (let i = 0; i < items.length; i++) lines.push(items[i].line);
  return lines;
}

type Reader = Awaited<ReturnType<typeof openCapture>>;

async function inThread(reader: Reader, opts: ReplayOptions, eopts: EngineOptions, batchSize: number, res: ReplayResult): Promise<void> {
  const engine = replayEngine(eopts, opts.detect);
  if (opts.onEngine) opts.onEngine(engine);
  const fmt = formatterFor(opts.format);
  let firstOrd = 0;
  for (let b = await reader.next(batchSize); b !== null; b = await reader.next(batchSize)) {
    if (b.count === 0) { reader.complete(b); continue; }
    firstOrd = b.desc[D_ID];
    if (res.packets === 0) res.firstUs = b.desc[D_TS_SEC] * 1e6 + Math.floor(b.desc[D_TS_NSEC] / 1000);
    engine.processBatch(b);
    res.lastUs = engine.clockUs;
    res.packets += b.count;
    reader.complete(b);
    const lines = order(engine.drainEvents(), firstOrd, fmt);
    res.lines += lines.length;
    await opts.write(lines);
    if (opts.progress) opts.progress(reader.bytesConsumed, res.packets);
  }
  // end of input: flows end in (end, start, flow_id) order, in chunks so their records never
  // all exist at once; the chunks concatenate to the same order as one global sort
  for (let done = false; !done;) {
    done = engine.finishSome(FLUSH_CHUNK);
    const lines = order(engine.drainEvents(), firstOrd, fmt);
    res.lines += lines.length;
    await opts.write(lines);
  }
  res.stats = engine.stats();
}

interface RoundResult { lines: string[]; keys: Float64Array; stats?: Record<string, unknown> }

async function withWorkers(reader: Reader, opts: ReplayOptions, eopts: EngineOptions, batchSize: number, n: number,
  res: ReplayResult): Promise<void> {
  const workerFile = path.join(__dirname, 'worker.js');
  // loaded here, not with the module: one worker (the default of `quell flows` benches and of
  // small captures) never needs it, and requiring it costs ~1-4 ms of start-up
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Worker: WorkerCtor } = require('worker_threads') as typeof import('worker_threads');
  const workers: Worker[] = [];
  const results = new Map<number, (RoundResult | undefined)[]>();
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => { const w = wake; wake = null; if (w) w(); };
  for (let i = 0; i < n; i++) {
    const w = new WorkerCtor(workerFile, { workerData: { engine: eopts, format: opts.format, detect: opts.detect ?? null } });
    w.on('message', (m: RoundResult & { round: number }) => {
      let r = results.get(m.round);
      if (!r) { r = new Array(n).fill(undefined); results.set(m.round, r); }
      r[i] = m;
      notify();
    });
    w.on('error', (e) => { failure = e; notify(); });
    workers.push(w);
  }
  const slots: SharedArrayBuffer[] = new Array(IN_FLIGHT);
  let round = 0, written = 0;
  const firstOrds: number[] = [];

  const complete = (r: number) => { const x = results.get(r); return x !== undefined && x.every((p) => p !== undefined); };
  const waitRound = async (r: number) => {
    while (!complete(r)) {
      if (failure) throw failure;
      await new Promise<void>((res2) => { wake = res2; });
    }
    if (failure) throw failure;
  };
  const writeRound = async (r: number): Promise<Record<string, unknown> | undefined> => {
    await waitRound(r);
    const parts = results.get(r)!;
    results.delete(r);
    const items: { k: OrderKey; line: string }[] = [];
    let stats: Record<string, unknown> | undefined;
    for (const p of parts) {
      const { lines, keys } = p!;
      for (let j = 0; j < lines.length; j++) {
        const o = j * 6;
        items.push({ k: { cls: keys[o], ord: keys[o + 1], seq: keys[o + 2], kEnd: keys[o + 3], kStart: keys[o + 4], kId: keys[o + 5] }, line: lines[j] });
      }
      if (p!.stats) stats = stats ? mergeStats(stats, p!.stats) : p!.stats;
    }
    items.sort((a, b) => compareKeys(a.k, b.k));
    const lines = items.map((x) => x.line);
    res.lines += lines.length;
    await opts.write(lines);
    return stats;
  };

  try {
    const shardOfPkt = new Uint32Array(batchSize);
    const perShard = new Uint32Array(n);
    for (let b = await reader.next(batchSize); b !== null; b = await reader.next(batchSize)) {
      if (b.count === 0) { reader.complete(b); continue; }
      while (round - written >= IN_FLIGHT) { await writeRound(written); written++; }
      const desc = b.desc, count = b.count;
      const nowUs = batchTimes(desc, count, res);
      // one copy of the batch bytes into the round's shared slot
      let lo = Infinity, hi = 0;
      for (let i = 0; i < count; i++) {
        const d = i * DESC_STRIDE; const o = desc[d + D_OFF], e = o + desc[d + D_CAPLEN];
        if (o < lo) lo = o; if (e > hi) hi = e;
      }
      const size = Math.max(0, hi - lo);
      const slot = round % IN_FLIGHT;
      let sab = slots[slot];
      if (!sab || sab.byteLength < size) { sab = new SharedArrayBuffer(Math.max(size, 1 << 16) * 2); slots[slot] = sab; }
      new Uint8Array(sab).set(b.data.subarray(lo, hi));
      // shard every packet, then copy its descriptor row into that shard's table
      perShard.fill(0);
      if (shardOfPkt.length < count) throw new Error('batch larger than requested');
      for (let i = 0; i < count; i++) {
        const d = i * DESC_STRIDE;
        const s = shardOf(b.data, desc[d + D_OFF], desc[d + D_CAPLEN], desc[d + D_LINK], n);
        shardOfPkt[i] = s; perShard[s]++;
      }
      const tables = Array.from(perShard, (c) => new Uint32Array(c * DESC_STRIDE));
      const fill = new Uint32Array(n);
      for (let i = 0; i < count; i++) {
        const s = shardOfPkt[i], d = i * DESC_STRIDE, t = tables[s], o = fill[s]++ * DESC_STRIDE;
        for (let k = 0; k < DESC_STRIDE; k++) t[o + k] = desc[d + k];
        t[o + D_OFF] = desc[d + D_OFF] - lo;
      }
      const firstOrd = desc[D_ID];
      firstOrds[round] = firstOrd;
      for (let w = 0; w < n; w++) {
        workers[w].postMessage({ type: 'batch', round, data: sab, desc: tables[w], count: perShard[w], nowUs, firstOrd }, [tables[w].buffer]);
      }
      res.packets += count;
      reader.complete(b);
      round++;
      if (opts.progress) opts.progress(reader.bytesConsumed, res.packets);
    }
    while (written < round) { await writeRound(written); written++; }
    const lastFirst = round > 0 ? firstOrds[round - 1] : 0;
    for (const w of workers) w.postMessage({ type: 'finish', round, firstOrd: lastFirst });
    res.stats = (await writeRound(round)) ?? {};
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
