/**
 * Inline operations harness (test-only): the operations layer wired the way the runner is meant
 * to wire it (docs/operations.md "Integration"), on a real NFQUEUE queue, so the inline ops tests
 * run before `quell run` integrates it.
 *
 *   main thread: OpsMain (src/ops/host.ts): shared sets (bans, a file block list, an allowlist),
 *                ban state file, control API on a unix socket, dispatcher (alert -> shared ban),
 *                EVE file, SQLite
 *   worker:      NfqueueSource -> QuellEngine with OpsWorker.wrap(detect) -> verdicts
 *
 * Rules: the config's rules text, compiled by the real compiler and run by the engine's detector
 * (src/engine/detect.ts createDetector, mode 'ips', sharing the worker's WorkerOps: count() and
 * `block src for T` go through the ops layer).
 *
 * Usage (inside the server namespace): node ops-host.js CONFIG_JSON. Prints "ready:" on stderr.
 * Per-source counters and timing go through a SharedArrayBuffer exposed in /v1/stats.
 */
import { isMainThread, Worker, parentPort, workerData } from 'worker_threads';

interface Config {
  queue: number; socket: string; listFile: string; allowFile: string; stateFile: string; eventsFile: string;
  watch: string[];   // client addresses whose verdicts are counted
  timed: string;     // the address whose ban delay is measured
  rulesText: string;
  sqliteFile?: string;
}

// shared words: per watched address [accepted, dropped]; then timing (Float64): addNs, lastAcceptNs, firstDropNs
const W_PER = 2;

function ip4(s: string): number { const p = s.split('.').map(Number); return (((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0); }

if (isMainThread) void main(); else worker();

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]) as Config;
  const { OpsMain } = await import('../../src/ops/host');

  const counts = new Int32Array(new SharedArrayBuffer(4 * W_PER * cfg.watch.length));
  const timing = new Float64Array(new SharedArrayBuffer(8 * 4));
  let workerStats: Record<string, number> = {};
  const t0 = process.hrtime.bigint();
  // the composition `quell run` is meant to use (src/ops/host.ts)
  const ops = await OpsMain.start({
    sets: [
      { name: 'drop', role: 'block', file: cfg.listFile },
      { name: 'mgmt', role: 'allow', file: cfg.allowFile },
    ],
    banSet: 'bans', stateFile: cfg.stateFile, controlSocket: cfg.socket, eveFile: cfg.eventsFile,
    sqliteFile: cfg.sqliteFile ?? null, metricsPort: null,
  }, {
    stats: () => {
      const per: Record<string, { accepted: number; dropped: number }> = {};
      cfg.watch.forEach((a, i) => { per[a] = { accepted: Atomics.load(counts, W_PER * i), dropped: Atomics.load(counts, W_PER * i + 1) }; });
      return { setLoadMs: loadMs, perSource: per, timing: { addNs: timing[0], lastAcceptNs: timing[1], firstDropNs: timing[2] }, worker: workerStats };
    },
  });
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const { compileRules } = await import('../../src/engine/detect');
  const compiled = compileRules(cfg.rulesText, 'ops-inline.rules');
  if (!compiled.ruleset) { process.stderr.write(`rules: ${JSON.stringify(compiled.diagnostics)}\n`); process.exit(1); }
  ops.setRules(compiled.ruleset.rules);
  // measure the API add: the moment the shared table holds the entry (after addEntry returns)
  const handler = (ops.control as unknown as { handler: { addEntry: (s: string, a: string, t: number | null) => unknown } }).handler;
  const origAdd = handler.addEntry.bind(handler);
  handler.addEntry = (set, addr, ttl) => {
    const r = origAdd(set, addr, ttl);
    if (addr === cfg.timed) timing[0] = Number(process.hrtime.bigint());
    return r;
  };

  const w = new Worker(__filename, { workerData: { cfg, init: ops.workerInit(0), counts, timing } });
  ops.onSnapshot = (snap) => w.postMessage({ type: 'sets', snap });
  w.on('message', (m: { type: string; events?: Record<string, unknown>[]; stats?: Record<string, number>; message?: string }) => {
    if (m.type === 'events' && m.events) ops.onEvents(m.events);
    else if (m.type === 'stats' && m.stats) { workerStats = m.stats; ops.onWorkerStats(0, m.stats); }
    else if (m.type === 'fatal') { process.stderr.write(`fatal: ${m.message}\n`); process.exit(1); }
    else if (m.type === 'ready') process.stderr.write(`ready: queue ${cfg.queue}, sets loaded in ${loadMs.toFixed(1)} ms\n`);
  });
  w.on('error', (e) => { process.stderr.write(`worker error: ${e.stack}\n`); process.exit(1); });
  process.on('SIGHUP', () => void ops.onHup());
  const stop = async () => {
    w.postMessage({ type: 'stop' });
    await new Promise((r) => setTimeout(r, 200));
    await w.terminate();
    await ops.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

function worker(): void {
  const { cfg, init, counts, timing } = workerData as { cfg: Config; init: never; counts: Int32Array; timing: Float64Array };
  const port = parentPort!;
  /* eslint-disable @typescript-eslint/no-var-requires */
  const { NfqueueSource } = require('../../src/io/nfqueue');
  const { createEngine } = require('../../src/engine/pipeline');
  const { OpsWorker } = require('../../src/ops/host');
  const { V_ACCEPT, V_DROP } = require('../../src/io/batch');
  /* eslint-enable */
  const watch = cfg.watch.map(ip4);
  const timedAddr = ip4(cfg.timed);
  const ow = new OpsWorker(init);
  const { compileRules, createDetector } = require('../../src/engine/detect');
  const rs = compileRules(cfg.rulesText, 'ops-inline.rules').ruleset;
  const inner = createDetector(rs, { mode: 'ips', ops: ow.ops });
  const gated = ow.wrap(inner);
  const detect = (pkt: any, slot: number, dir: number, engine: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    // the clock is read BEFORE the gate lookup: a packet accepted with a start time after the API
    // add completed would be a real miss (not a packet already past its lookup when the add landed)
    const t = pkt.ipVer === 4 && pkt.src4 === timedAddr ? Number(process.hrtime.bigint()) : 0;
    const v = gated(pkt, slot, dir, engine);
    if (pkt.ipVer === 4) {
      const i = watch.indexOf(pkt.src4);
      if (i >= 0) {
        const dropped = (v & 0xff) === V_DROP;
        Atomics.add(counts, W_PER * i + (dropped ? 1 : 0), 1);
        if (t !== 0) { if (dropped) { if (timing[2] === 0) timing[2] = t; } else timing[1] = t; }
      }
    }
    return v;
  };
  // keep the detector's attach()/stats() reachable through this timing wrapper (the engine attaches it)
  Object.assign(detect, { attach: (gated as any).attach, stats: (gated as any).stats }); // eslint-disable-line @typescript-eslint/no-explicit-any
  const engine = createEngine({ detect, ruleset: rs });
  let src: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  try { src = new NfqueueSource({ queue: cfg.queue, failOpen: false }); } catch (e) {
    port.postMessage({ type: 'fatal', message: (e as Error).message }); return;
  }
  let stop = false;
  port.on('message', (m: { type: string; snap?: never }) => {
    if (m.type === 'stop') stop = true;
    else if (m.type === 'sets' && m.snap) ow.setSnapshot(m.snap);
  });
  port.postMessage({ type: 'ready' });
  const tick = () => {
    const end = Date.now() + 20;
    do {
      const b = src.recvSync(5);
      if (b) { engine.processBatch(b); ow.afterBatch(b); src.complete(b); }
    } while (!stop && Date.now() < end);
    const ev = engine.drainEvents();
    if (ev.length) port.postMessage({ type: 'events', events: ev });
    port.postMessage({ type: 'stats', stats: ow.stats() });
    if (stop) { try { src.closeSync(); } catch { /* closing */ } ow.close(); return; }
    setImmediate(tick);
  };
  setImmediate(tick);
}
