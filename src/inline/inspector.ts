/**
 * A fan-out helper thread (see fanout.ts): owns one engine and one shared area; waits for the
 * reader's REQ word, runs engine.processBatch over the shared batch, writes DONE. Control
 * messages (reload, stop, stats) are handled between batches: the wait loop yields to the event
 * loop every TICK_MS. Messages in/out as in worker.ts.
 */
import { parentPort, workerData } from 'worker_threads';
import { V_ACCEPT, V_DROP } from '../io/batch';
import { hostEngine, EngineSpec, RulesError } from './engine-host';
import { FanoutShared, sharedBatch, CTL_REQ, CTL_DONE, CTL_COUNT } from './fanout';
import type { EngineEvent } from '../engine/types';

export interface InspectorInit {
  index: number;
  queue: number;
  shared: FanoutShared;
  engine: EngineSpec;
  failOpen: boolean;
  statsEveryMs: number;
}

const TICK_MS = 50;
const WAIT_MS = 20;

function main(): void {
  const port = parentPort!;
  const init = workerData as InspectorInit;
  const counters = { batches: 0, packets: 0, engineErrors: 0, eventsOut: 0, reloads: 0, reloadsRefused: 0, generation: 0 };
  let host;
  let warmup = { ms: 0, packets: 0, rounds: 0 };
  try { host = hostEngine(init.engine); warmup = host.warmup; } catch (e) {
    const err = e as { code?: string; message?: string; diagnostics?: unknown };
    port.postMessage({ type: 'fatal', code: err.code ?? 'QUELL_E_WORKER', message: String(err.message ?? e), diagnostics: err.diagnostics });
    return;
  }
  const engine = host.engine;
  const ctl = new Int32Array(init.shared.ctl);
  const batch = sharedBatch(init.shared);
  let seen = Atomics.load(ctl, CTL_REQ);
  let events: EngineEvent[] = [];
  let stop = false;
  let lastStats = 0;
  const snapshot = () => {
    let es: Record<string, unknown> = {};
    try { es = engine.stats(); } catch { /* none */ }
    return { index: init.index, queues: [], fanoutOf: init.queue, worker: { ...counters }, warmup, engine: es };
  };

  port.on('message', (m: { type: string; gen?: number; text?: string; file?: string; round?: number }) => {
    if (m.type === 'stop') stop = true;
    else if (m.type === 'reload') {
      try {
        host.reload(String(m.text), String(m.file));
        counters.reloads++; counters.generation = m.gen ?? counters.generation + 1;
        port.postMessage({ type: 'reloaded', gen: m.gen, ok: true });
      } catch (e) {
        counters.reloadsRefused++;
        port.postMessage({ type: 'reloaded', gen: m.gen, ok: false, error: (e as Error).message, diagnostics: (e as RulesError).diagnostics });
      }
    } else if (m.type === 'stats') port.postMessage({ type: 'stats', round: m.round, stats: snapshot() });
    else if (m.type === 'sets') host.ops?.setSnapshot((m as unknown as { snap: never }).snap);   // set files reloaded (src/ops)
  });

  function tick(): void {
    const end = Date.now() + TICK_MS;
    while (!stop && Date.now() < end) {
      Atomics.wait(ctl, CTL_REQ, seen, WAIT_MS);
      const req = Atomics.load(ctl, CTL_REQ);
      if (req === seen) continue;
      seen = req;
      batch.count = Atomics.load(ctl, CTL_COUNT);
      try {
        engine.processBatch(batch);
      } catch (e) {
        counters.engineErrors++;
        const v = init.failOpen ? V_ACCEPT : V_DROP;
        for (let i = 0; i < batch.count; i++) { batch.verdict[2 * i] = v; batch.verdict[2 * i + 1] = 0; }
        if (counters.engineErrors <= 3) port.postMessage({ type: 'log', message: `engine error: ${(e as Error).stack ?? e}` });
      }
      Atomics.store(ctl, CTL_DONE, req);
      Atomics.notify(ctl, CTL_DONE);
      counters.batches++; counters.packets += batch.count;
      for (const x of engine.drainEvents()) events.push(x);
    }
    const now = Date.now();
    if (events.length) { counters.eventsOut += events.length; port.postMessage({ type: 'events', events }); events = []; }
    if (now - lastStats >= init.statsEveryMs) { lastStats = now; port.postMessage({ type: 'stats', stats: snapshot() }); }
    if (stop) {
      try { engine.finish(); for (const x of engine.drainEvents()) events.push(x); } catch { /* closing */ }
      if (events.length) port.postMessage({ type: 'events', events });
      port.postMessage({ type: 'closed', stats: snapshot() });
      port.close();
      return;
    }
    setImmediate(tick);
  }
  port.postMessage({ type: 'ready', queues: [] });
  setImmediate(tick);
}

main();
