/**
 * One inline worker thread: owns its NFQUEUE queue(s) (socket bound in this thread), runs
 * recv batch -> engine.processBatch(batch) -> send verdicts, synchronously, in ticks.
 *
 * Why ticks: the loop is synchronous (the measured fastest and lowest-latency design: one JS entry
 * per batch, no thread hand-off per packet), so the worker's event loop only runs between ticks.
 * A tick lasts at most TICK_MS; then control messages (reload, stop, stats) are handled, which is
 * therefore always *between batches*: a reload takes effect from the next batch, and no packet is
 * ever seen by half a ruleset.
 *
 * Messages in (from src/inline/run.ts): {type:'reload', gen, text, file} | {type:'stop'}
 * Messages out: {type:'ready'} | {type:'fatal', code, message} | {type:'events', events}
 *               | {type:'stats', stats} | {type:'reloaded', gen, ok, error?} | {type:'closed', stats}
 */
import { parentPort, workerData } from 'worker_threads';
import { NfqueueSource, NfqOptions, loadNfqAddon } from '../io/nfqueue';
import { V_ACCEPT, V_DROP } from '../io/batch';
import { hostEngine, EngineSpec, HostedEngine, RulesError } from './engine-host';
import type { EngineEvent } from '../engine/types';
import { FanoutDispatcher, FanoutShared } from './fanout';
import { LatencyHist, monoSec } from './latency';
import type { WarmupReport } from './warmup';

export interface WorkerInit {
  index: number;
  queues: number[];
  nfq: Omit<NfqOptions, 'queue'>;
  engine: EngineSpec;
  failOpen: boolean;
  statsEveryMs: number;
  /** userspace fan-out: shared areas of this queue's helper threads (fanout.ts); one queue only */
  fanout?: FanoutShared[];
}

/** Longest stretch without handling control messages. */
export const TICK_MS = 50;
/** Receive timeout when idle (single queue, SO_RCVTIMEO). Bounds stop latency, not packet latency. */
export const IDLE_POLL_MS = 20;
/** With several queues per worker: each idle round waits this long on one of them. */
export const MULTI_POLL_MS = 1;
/** Events buffered before a forced post to the main thread. */
export const MAX_EVENTS_PER_POST = 4096;
/** Batches drained at shutdown before unbinding (bounded). */
export const SHUTDOWN_DRAIN_BATCHES = 1000;

export interface WorkerCounters {
  batches: number; packets: number; engineErrors: number; eventsOut: number; reloads: number; reloadsRefused: number; generation: number;
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('worker.ts must run in a worker thread');
  const init = workerData as WorkerInit;
  const counters: WorkerCounters = { batches: 0, packets: 0, engineErrors: 0, eventsOut: 0, reloads: 0, reloadsRefused: 0, generation: 0 };
  let sources: NfqueueSource[] = [];
  let host: HostedEngine;
  let warmup: WarmupReport = { ms: 0, packets: 0, rounds: 0 };
  try {
    host = hostEngine(init.engine);
    // before binding: packets meet an engine the JIT has already compiled (warmup.ts)
    warmup = host.warmup;
    // Busy poll: a worker with one queue spins inside the native receive; a worker with several
    // spins here, over all of them (a native spin on one would leave the others waiting).
    const nativeBusy = init.queues.length === 1 ? init.nfq.busyPollUs ?? 0 : 0;
    for (const q of init.queues) sources.push(new NfqueueSource({ ...init.nfq, busyPollUs: nativeBusy, queue: q }));
  } catch (e) {
    for (const s of sources) s.closeSync();
    sources = [];
    const err = e as { code?: string; message?: string; diagnostics?: unknown };
    port.postMessage({ type: 'fatal', code: err.code ?? 'QUELL_E_WORKER', message: String(err.message ?? e), diagnostics: err.diagnostics });
    return;
  }
  const engine = host.engine;
  let events: EngineEvent[] = [];
  let stop = false;
  let lastStats = 0;

  const fan = init.fanout && init.fanout.length ? new FanoutDispatcher(init.fanout, sources[0].maxBatch, init.failOpen) : null;
  const latency = new LatencyHist();
  const statsSnapshot = () => ({
    index: init.index,
    queues: sources.map((s) => s.stats()),
    worker: { ...counters },
    busyPoll: multiBusyS > 0 ? { ...busy } : undefined,
    warmup,
    latency: latency.snapshot(),
    ops: host.ops ? host.ops.stats() : undefined,
    fanout: fan ? { ...fan.counters, helpers: fan.k - 1 } : undefined,
    engine: safeEngineStats(),
  });
  function safeEngineStats(): Record<string, unknown> {
    try { return engine.stats(); } catch { return {}; }
  }

  port.on('message', (m: { type: string; gen?: number; text?: string; file?: string }) => {
    if (m.type === 'stop') stop = true;
    else if (m.type === 'reload') {
      try {
        host.reload(String(m.text), String(m.file));
        counters.reloads++;
        counters.generation = m.gen ?? counters.generation + 1;
        port.postMessage({ type: 'reloaded', gen: m.gen, ok: true });
      } catch (e) {
        counters.reloadsRefused++;
        port.postMessage({ type: 'reloaded', gen: m.gen, ok: false, error: (e as Error).message, diagnostics: (e as RulesError).diagnostics });
      }
    } else if (m.type === 'sets') {
      host.ops?.setSnapshot((m as unknown as { snap: never }).snap);   // set files reloaded (src/ops)
    } else if (m.type === 'stats') {
      port.postMessage({ type: 'stats', round: (m as { round?: number }).round, stats: statsSnapshot() });
    }
  });

  const single = sources.length === 1;
  let rr = 0;
  /** several queues: the JS busy-poll window (s) and when the last packet came (monoSec, kept in a
   *  Float64Array: a closure `let` would box each stamp in a heap number, one allocation per batch) */
  const multiBusyS = single ? 0 : (init.nfq.busyPollUs ?? 0) / 1e6;
  const relax = multiBusyS > 0 ? loadNfqAddon().relax : null;
  const lastGot = new Float64Array(1);
  const busy = { spins: 0, hits: 0 };

  /** One batch from `s` through the engine and back. Returns the packet count. With `defer`, the
   *  verdicts are left pending: the next s.recvSync() sends them in the same native call as its
   *  receive (one crossing per batch; the loop below calls it at once, or flushes first). */
  function step(s: NfqueueSource, timeoutMs: number, defer = false): number {
    const b = s.recvSync(timeoutMs);
    if (b === null) return 0;
    latency.start();
    try {
      if (fan) fan.process(b, engine); else engine.processBatch(b);
    } catch (e) {
      // A bug, not traffic (traffic never throws): apply the policy to the whole batch and count it.
      counters.engineErrors++;
      const v = init.failOpen ? V_ACCEPT : V_DROP;
      for (let i = 0; i < b.count; i++) { b.verdict[2 * i] = v; b.verdict[2 * i + 1] = 0; }
      if (counters.engineErrors <= 3) port!.postMessage({ type: 'log', message: `engine error (batch ${init.failOpen ? 'accepted' : 'dropped'}): ${(e as Error).stack ?? e}` });
    }
    host.ops?.afterBatch(b);   // --pcap-drops: verdicts are known, bytes still valid
    latency.stop(b.count);
    if (!defer) s.complete(b);
    counters.batches++;
    counters.packets += b.count;
    const ev = engine.drainEvents();
    if (ev.length) { for (const x of ev) events.push(x); }
    return b.count;
  }

  function flushOut(now: number): void {
    if (events.length) {
      counters.eventsOut += events.length;
      port!.postMessage({ type: 'events', events });
      events = [];
    }
    if (now - lastStats >= init.statsEveryMs) {
      lastStats = now;
      port!.postMessage({ type: 'stats', stats: statsSnapshot() });
    }
  }

  const sweepable = engine as unknown as { sweep?: (nowUs: number) => void };
  let packetsAtTickStart = 0;

  function tick(): void {
    const end = Date.now() + TICK_MS;
    packetsAtTickStart = counters.packets;
    try {
      do {
        if (single) {
          step(sources[0], IDLE_POLL_MS, true);
        } else {
          let got = 0;
          for (const s of sources) got += step(s, 0);
          if (got === 0) {
            if (relax !== null && monoSec() - lastGot[0] < multiBusyS) { relax(); busy.spins++; continue; }
            got = step(sources[rr], MULTI_POLL_MS); rr = (rr + 1) % sources.length;
          } else if (relax !== null && monoSec() - lastGot[0] < multiBusyS) busy.hits++;
          if (got > 0 && relax !== null) lastGot[0] = monoSec();
        }
        if (events.length >= MAX_EVENTS_PER_POST) break;
      } while (!stop && Date.now() < end);
      if (single) sources[0].flush();   // a deferred batch's verdicts before yielding to the event loop
    } catch (e) {
      const err = e as { code?: string; message?: string };
      port!.postMessage({ type: 'fatal', code: err.code ?? 'QUELL_E_WORKER', message: String(err.message ?? e) });
      shutdown();
      return;
    }
    const now = Date.now();
    // An idle queue brings no packet time: end timed-out flows on the wall clock instead (once per
    // idle tick; packet timestamps are CLOCK_REALTIME too, so the clocks agree).
    if (counters.packets === packetsAtTickStart && typeof sweepable.sweep === 'function') {
      try { sweepable.sweep(now * 1000); } catch { /* never fatal */ }
      const ev = engine.drainEvents();
      for (const x of ev) events.push(x);
    }
    flushOut(now);
    if (stop) { shutdown(); return; }
    setImmediate(tick);
  }

  function shutdown(): void {
    // Drain what is already queued (bounded), so those packets get real verdicts instead of the
    // kernel's drop on unbind; then unbind and close.
    try {
      for (const s of sources) {
        for (let i = 0; i < SHUTDOWN_DRAIN_BATCHES; i++) if (step(s, 0) === 0) break;
      }
      engine.finish();
      const ev = engine.drainEvents();
      for (const x of ev) events.push(x);
    } catch { /* closing anyway */ }
    const finalStats = statsSnapshot();
    for (const s of sources) { try { s.closeSync(); } catch { /* already closed */ } }
    host.ops?.close();
    if (events.length) { port!.postMessage({ type: 'events', events }); events = []; }
    port!.postMessage({ type: 'closed', stats: finalStats });
    port!.close();
  }

  port.postMessage({ type: 'ready', queues: init.queues });
  setImmediate(tick);
}

main();
