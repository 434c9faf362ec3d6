/**
 * `quell run`: the inline IPS. The main thread only controls: it compiles/validates rules, starts
 * one worker thread per queue (each worker binds its queue and runs the synchronous batch loop,
 * src/inline/worker.ts), writes events, reloads on SIGHUP, emits stats, and shuts down cleanly on
 * SIGINT/SIGTERM. Packets never cross a thread seam.
 */
import * as fs from 'fs';
import { WARMUP_DEFAULT_PACKETS } from './warmup';
import type { EngineOptions } from '../engine/pipeline';
import * as path from 'path';
import * as os from 'os';
import { Worker } from 'worker_threads';
import { QuellError, UsageError } from '../errors';
import { readKernelQueueStats, NfqNativeStats, NfqJsStats, loadNfqAddon, NfqError } from '../io/nfqueue';
import { compileRulesText, RulesError, RulesDiagnostic } from './engine-host';
import type { WorkerInit } from './worker';
import { OpsMain, OpsMainOptions } from '../ops/host';
import type { ReloadResult, Diagnostic } from '../control/handler';
import type { InspectorInit } from './inspector';
import { createShared } from './fanout';
import { LineFile } from '../outputs/sinks';
import type { LatencySnapshot } from './latency';
import type { HttpLimits } from '../../decoders/app/http';

export const MAX_QUEUES = 64;
/** How long workers get to flush, unbind and close at shutdown before they are terminated. */
export const SHUTDOWN_TIMEOUT_MS = 5000;
/** How long workers get to bind their queues at start. */
export const START_TIMEOUT_MS = 15000;
/** How long a stats round waits for every worker's snapshot before writing what it has. */
export const STATS_WAIT_MS = 1000;

export interface RunOptions {
  queues: number[];
  workers: number;
  rulesFile: string | null;
  failOpen: boolean;
  eveFile: string | null;
  bypassAfter: number | null;
  maxBatch: number;
  /** --busy-poll: microseconds a worker keeps polling after a packet instead of sleeping (0 = off) */
  busyPollUs?: number;
  maxlen: number;
  copyRange: number;
  rcvbuf: number;
  gso: boolean;
  conntrack: boolean;
  markShift: number;
  statsIntervalMs: number;
  engineModule: string | null;
  /** HTTP parser limits for every engine (--http-body-limit); null/absent = the parser's defaults */
  httpLimits?: Partial<HttpLimits> | null;
  /** operations layer (sets, bans, control API, SQLite, sockets, metrics; src/ops/host.ts), null = off */
  ops?: OpsMainOptions | null;
  /** JIT warm-up per worker before binding, packets (src/inline/warmup.ts); absent: the default */
  warmupPackets?: number;
  /** engine limits given on the command line (--max-flows, --stream-depth, --midstream), per worker */
  engineLimits?: EngineOptions;
}

/** "0:3" -> [0,1,2,3]; "2" -> [2]; "0,2,5" -> [0,2,5]. */
export function parseQueues(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?::(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`--queues: "${part}" is not N or A:B`);
    const a = Number(m[1]), b = m[2] !== undefined ? Number(m[2]) : a;
    if (a > 65535 || b > 65535 || b < a) throw new UsageError(`--queues: bad range "${part}" (0..65535, A <= B)`);
    for (let q = a; q <= b; q++) out.push(q);
    if (out.length > MAX_QUEUES) throw new UsageError(`--queues: at most ${MAX_QUEUES} queues`);
  }
  if (new Set(out).size !== out.length) throw new UsageError('--queues: a queue is listed twice');
  return out;
}

/** Serialise an engine event as one EVE JSON line (bigint timestamps -> ISO text; internal ordering keys dropped). */
export function eveLine(ev: Record<string, unknown>): string {
  const o: Record<string, unknown> = {};
  const ts = ev.tsNs;
  o.timestamp = typeof ts === 'bigint' ? new Date(Number(ts / 1000000n)).toISOString() : new Date().toISOString();
  for (const [k, v] of Object.entries(ev)) {
    if (k === 'tsNs' || k === 'ord' || k === 'seq' || k === 'cls' || k === 'kEnd' || k === 'kStart' || k === 'kId') continue;
    o[k] = v;
  }
  return JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
}

interface WorkerState {
  w: Worker;
  init: WorkerInit;
  ready: boolean;
  closed: boolean;
  answered: boolean;
  /** a fan-out helper (stopped after the readers, so no reader waits on a stopped helper) */
  helper: boolean;
  last: { index: number; queues: (NfqNativeStats & NfqJsStats)[]; worker: Record<string, number>; engine: Record<string, unknown>; fanout?: Record<string, number>; busyPoll?: { spins: number; hits: number }; latency?: LatencySnapshot; warmup?: { ms: number; packets: number; rounds: number } } | null;
}

export interface RunIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/**
 * Run until SIGINT/SIGTERM (or `signal` aborts). Resolves with the exit code.
 * Throws NfqError/RulesError (stable codes) when start-up fails.
 */
export async function runInline(opts: RunOptions, io: RunIo = { out: process.stdout, err: process.stderr }, signal?: AbortSignal): Promise<number> {
  // more workers than queues: userspace fan-out, each queue's reader plus (k - 1) helper threads
  const fanK = opts.workers > opts.queues.length ? opts.workers / opts.queues.length : 1;
  if (!Number.isInteger(fanK)) {
    throw new UsageError(`--workers ${opts.workers} with ${opts.queues.length} queue(s): for userspace fan-out the workers must be a multiple of the queues`);
  }
  loadNfqAddon();   // fail fast with QUELL_E_NFQ_ADDON in the main thread
  let rulesText: string | null = null;
  const validate = makeValidator(opts);
  if (opts.rulesFile) {
    rulesText = readRules(opts.rulesFile);
    const diags = validate(rulesText, opts.rulesFile);
    if (diags) throw new RulesError('QUELL_E_RULES', `${opts.rulesFile}: the rules have errors`, diags);
  }

  // --eve FILE: non-blocking appends (a disk that stalls sheds records, counted, instead of
  // stalling the main thread's event handling); reopened on SIGHUP for log rotation
  let eveFile: LineFile | null = null;
  if (opts.eveFile) {
    try { eveFile = new LineFile(opts.eveFile); } catch (e) {
      throw new QuellError('QUELL_E_FILE', `--eve ${opts.eveFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  // operations layer: sets + ban state before the workers start (they get shared snapshots)
  let ops: OpsMain | null = null;
  let lastStats: Record<string, unknown> | null = null;
  let opsRules: OpsRule[] = [];
  if (opts.ops) {
    ops = await OpsMain.start(opts.ops, {
      listRules: () => {
        // per-rule hits summed over the workers' engine stats (detect.rule_hits), sid/actions from the rules
        const hits = new Map<string, number>();
        for (const st of states) {
          const rh = ((st.last?.engine as { detect?: { rule_hits?: Record<string, number> } } | undefined)?.detect?.rule_hits) ?? {};
          for (const [n, h] of Object.entries(rh)) hits.set(n, (hits.get(n) ?? 0) + h);
        }
        return opsRules.map((r) => ({ sid: r.sid, name: r.name, action: r.actions.map((a) => a.verb).join(','), hits: hits.get(r.name) ?? 0 }));
      },
      reloadRules: (): ReloadResult => {
        if (!opts.rulesFile) return { ok: false, diagnostics: [{ severity: 'error', message: 'quell run has no --rules file' }] };
        const text = readRules(opts.rulesFile);
        const diags = validate(text, opts.rulesFile);
        if (diags) return { ok: false, diagnostics: diags as unknown as Diagnostic[] };
        opsRules = setOpsRules(ops!, text, opts.rulesFile);
        onHup();
        return { ok: true, rules: -1, generation };
      },
      stats: () => lastStats ?? {},
    });
    if (rulesText !== null && opts.rulesFile) opsRules = setOpsRules(ops, rulesText, opts.rulesFile);
  }
  const write = (ev: Record<string, unknown>) => { const l = eveLine(ev); if (eveFile) eveFile.write(l); else io.out.write(l); };
  const log = (s: string) => io.err.write(`quell run: ${s}\n`);

  // queue -> worker assignment: round-robin
  const readers = Math.min(opts.workers, opts.queues.length);
  const perWorker: number[][] = Array.from({ length: readers }, () => []);
  opts.queues.forEach((q, i) => perWorker[i % readers].push(q));
  const workerFile = path.join(__dirname, 'worker.js');
  const inspectorFile = path.join(__dirname, 'inspector.js');
  const engineOptions: Record<string, unknown> = opts.bypassAfter !== null ? { bypassAfterBytes: opts.bypassAfter } : {};
  if (opts.httpLimits) engineOptions.httpLimits = opts.httpLimits;
  if (opts.engineLimits) Object.assign(engineOptions, opts.engineLimits);
  const engineSpec = { rulesText, rulesFile: opts.rulesFile, engineModule: opts.engineModule, engineOptions, warmupPackets: opts.warmupPackets ?? WARMUP_DEFAULT_PACKETS };
  const helperStates: WorkerState[] = [];
  const states: WorkerState[] = perWorker.map((queues, index) => {
    const fanout = fanK > 1 ? Array.from({ length: fanK - 1 }, () => createShared(opts.maxBatch)) : undefined;
    if (fanout) {
      fanout.forEach((shared, j) => {
        const hi = readers + index * (fanK - 1) + j;
        const hinit: InspectorInit = { index: hi, queue: queues[0], shared, engine: { ...engineSpec, ops: ops ? ops.workerInit(hi) : null }, failOpen: opts.failOpen, statsEveryMs: Math.min(1000, opts.statsIntervalMs) };
        helperStates.push({ w: new Worker(inspectorFile, { workerData: hinit }), init: { index: hinit.index, queues: [] } as unknown as WorkerInit, ready: false, closed: false, answered: false, last: null, helper: true });
      });
    }
    const init: WorkerInit = {
      index, queues, fanout,
      nfq: { maxBatch: opts.maxBatch, busyPollUs: opts.busyPollUs ?? 0, maxlen: opts.maxlen, copyRange: opts.copyRange, rcvbuf: opts.rcvbuf, failOpen: opts.failOpen, gso: opts.gso, conntrack: opts.conntrack, markShift: opts.markShift },
      engine: { ...engineSpec, ops: ops ? ops.workerInit(index) : null },
      failOpen: opts.failOpen,
      statsEveryMs: Math.min(1000, opts.statsIntervalMs),
    };
    return { w: new Worker(workerFile, { workerData: init }), init, ready: false, closed: false, answered: false, last: null, helper: false };
  });
  states.push(...helperStates);

  const started = Date.now();
  const kernelBase = new Map<number, { queueDropped: number; userDropped: number }>();
  let generation = 0;
  const pendingReload = new Map<number, { left: number; ok: boolean; errors: string[] }>();
  let fatal: { code: string; message: string; diagnostics?: RulesDiagnostic[] } | null = null;
  let stopping = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  let resolveReady!: () => void;
  const readyP = new Promise<void>((r) => { resolveReady = r; });

  const stopHelpersWhenReadersClosed = () => {
    if (!stopping || !states.every((s) => s.helper || s.closed)) return;
    for (const st of states) if (st.helper && !st.closed) st.w.postMessage({ type: 'stop' });
  };
  const checkAllClosed = () => { stopHelpersWhenReadersClosed(); if (states.every((s) => s.closed)) resolveDone(); };

  for (const st of states) {
    st.w.on('message', (m: Record<string, unknown>) => {
      switch (m.type) {
        case 'ready':
          st.ready = true;
          if (states.every((s) => s.ready)) resolveReady();
          break;
        case 'fatal':
          fatal = fatal ?? { code: String(m.code), message: String(m.message), diagnostics: m.diagnostics as RulesDiagnostic[] | undefined };
          if (!st.ready) resolveReady();
          requestStop();
          break;
        case 'events':
          for (const ev of m.events as Record<string, unknown>[]) write(ev);
          ops?.onEvents(m.events as Record<string, unknown>[]);   // bans, exec/webhook, SQLite, sockets
          break;
        case 'stats':
          st.last = m.stats as WorkerState['last'];
          if (ops && (m.stats as { ops?: Record<string, number> }).ops) ops.onWorkerStats(st.init.index, (m.stats as { ops: Record<string, number> }).ops);
          if (m.round !== undefined && m.round === statsRound) { st.answered = true; maybeWriteStats(); }
          break;
        case 'log':
          log(`worker ${st.init.index}: ${m.message}`);
          break;
        case 'reloaded': {
          const p = pendingReload.get(m.gen as number);
          if (!p) break;
          p.left--;
          if (!m.ok) { p.ok = false; p.errors.push(String(m.error)); }
          if (p.left === 0) {
            pendingReload.delete(m.gen as number);
            write({ event_type: 'reload', ok: p.ok, generation: m.gen, workers: states.length, errors: p.errors });
            log(p.ok ? `rules reloaded (generation ${m.gen}) in ${states.length} worker(s)` : `reload generation ${m.gen} failed in a worker: ${p.errors.join('; ')}`);
          }
          break;
        }
        case 'closed':
          st.last = m.stats as WorkerState['last'];
          st.closed = true;
          checkAllClosed();
          break;
      }
    });
    st.w.on('error', (e) => {
      fatal = fatal ?? { code: 'QUELL_E_WORKER', message: String(e.stack ?? e) };
      st.closed = true;
      if (!st.ready) resolveReady();
      requestStop();
      checkAllClosed();
    });
    st.w.on('exit', () => { st.closed = true; if (!st.ready) resolveReady(); checkAllClosed(); });
  }

  function requestStop(): void {
    if (stopping) return;
    stopping = true;
    for (const st of states) if (!st.closed && !st.helper) st.w.postMessage({ type: 'stop' });
    stopHelpersWhenReadersClosed();
    setTimeout(() => { for (const st of states) if (!st.closed) void st.w.terminate(); }, SHUTDOWN_TIMEOUT_MS).unref();
  }

  function statsEvent(final: boolean): Record<string, unknown> {
    const kernel = new Map(readKernelQueueStats().map((k) => [k.queue, k]));
    const queues: Record<string, unknown>[] = [];
    for (const st of states) {
      if (!st.last) continue;
      for (const q of st.last.queues) {
        if (q.queue === undefined) continue;
        const k = kernel.get(q.queue);
        const base = kernelBase.get(q.queue);
        const userDroppedDelta = k && base ? k.userDropped - base.userDropped : 0;
        queues.push({
          queue: q.queue, worker: st.init.index,
          packets: q.packets, batches: q.recvCalls, batch_hist: q.batchHist,
          verdicts: {
            accept: q.verdictAccept, drop: q.verdictDrop, repeat: q.verdictRepeat, queue: q.verdictQueue,
            reject: q.reject, accept_flow: q.acceptFlow, drop_flow: q.dropFlow, replaced: q.replaced, replace_refused: q.replaceRefused,
          },
          verdict_msgs: { single: q.verdictMsgsSingle, batch: q.verdictMsgsBatch, send_calls: q.sendCalls },
          // busy poll of a one-queue worker (--busy-poll; several queues per worker: the worker's own)
          busy_poll: q.busyPollUs ? { window_us: q.busyPollUs, hits: q.busyHits, spins: q.busySpins, spin_us: q.busyUs } : null,
          enobufs: q.enobufs, id_gaps: q.idGaps, truncated: q.truncated, malformed: q.malformed, loop_guard: q.loopGuard,
          send_errors: q.sendErrors, verdict_errors: q.verdictErrors, setup_accepted: q.setupAccepted,
          kernel: k ? { queue_dropped: k.queueDropped, user_dropped: k.userDropped, inflight: k.inflight, id_sequence: k.idSequence, portid: k.portid } : null,
          // ids the kernel assigned that never reached us: gaps between the ids we saw, plus ids past
          // the last one we saw that are not waiting in the queue (in flight)
          ids_unseen: idsUnseen(q, k),
          // minus the ones the kernel counted as dropped: with --fail-open these were accepted unseen
          // (queue-full bypasses take no id: not visible here, so this is a lower bound)
          fail_open_bypass_estimate: opts.failOpen ? Math.max(0, idsUnseen(q, k) - userDroppedDelta) : 0,
        });
      }
    }
    return {
      event_type: 'stats', tsNs: BigInt(Date.now()) * 1000000n, final,
      inline: {
        uptime_s: Math.round((Date.now() - started) / 100) / 10, generation, policy: opts.failOpen ? 'fail-open' : 'fail-closed',
        eve_file: eveFile ? { ...eveFile.counters } : null,
        queues,
        workers: states.map((s) => ({ index: s.init.index, queues: s.init.queues, helper: s.helper, ...(s.last?.worker ?? {}), fanout: s.last?.fanout ?? null, busy_poll: s.last?.busyPoll ?? null, verdict_latency: s.last?.latency ?? null, warmup: s.last?.warmup ?? null })),
        engine: states.map((s) => s.last?.engine ?? null),
      },
    };
  }

  let statsRound = 0;
  let statsPending = false;
  let statsDeadline: NodeJS.Timeout | null = null;
  function writeStatsNow(): void {
    if (!statsPending) return;
    statsPending = false;
    if (statsDeadline) { clearTimeout(statsDeadline); statsDeadline = null; }
    if (!stopping) { const ev = statsEvent(false); write(ev); if (ops) { lastStats = ev; ops.onRunnerStats(ev); } }
  }
  function maybeWriteStats(): void { if (statsPending && states.every((s) => s.answered)) writeStatsNow(); }

  const onHup = () => {
    if (stopping) return;
    if (!opts.rulesFile) { log('SIGHUP: no --rules file to reload'); return; }
    let text: string;
    try { text = readRules(opts.rulesFile); } catch (e) {
      log(`SIGHUP: ${(e as Error).message}; the running rules stay`);
      write({ event_type: 'reload', ok: false, generation, errors: [(e as Error).message] });
      return;
    }
    const diags = validate(text, opts.rulesFile);
    if (diags) {
      log(`SIGHUP: ${opts.rulesFile} has errors; the running rules stay (generation ${generation}):`);
      for (const d of diags) io.err.write(formatDiagnostic(d, opts.rulesFile) + '\n');
      write({ event_type: 'reload', ok: false, generation, diagnostics: diags });
      return;
    }
    generation++;
    pendingReload.set(generation, { left: states.length, ok: true, errors: [] });
    for (const st of states) st.w.postMessage({ type: 'reload', gen: generation, text, file: opts.rulesFile });
  };
  const onStop = () => requestStop();

  // wait for every worker to bind (or one to fail)
  const startTimer = setTimeout(() => { fatal = fatal ?? { code: 'QUELL_E_NFQ_TIMEOUT', message: 'workers did not bind their queues in time' }; resolveReady(); }, START_TIMEOUT_MS);
  await readyP;
  clearTimeout(startTimer);
  if (fatal) {
    requestStop();
    await Promise.race([done, new Promise((r) => setTimeout(r, SHUTDOWN_TIMEOUT_MS))]);
    if (ops) await ops.close();
    if (eveFile) await eveFile.close();
    const f = fatal as { code: string; message: string; diagnostics?: RulesDiagnostic[] };
    if (f.diagnostics) throw new RulesError(f.code, f.message, f.diagnostics);
    throw new NfqError(f.code, f.message);
  }
  for (const k of readKernelQueueStats()) kernelBase.set(k.queue, { queueDropped: k.queueDropped, userDropped: k.userDropped });

  // log rotation: `mv eve.json eve.json.1; kill -HUP`: records queued before the signal go to the
  // old file, later ones to a new one at the same path (LineFile.reopen; none split, none lost)
  const onHupEve = () => {
    if (!eveFile) return;
    void eveFile.reopen().then(() => { if (eveFile!.lastError) log(`SIGHUP: --eve ${opts.eveFile}: ${eveFile!.lastError}`); });
  };
  process.on('SIGHUP', onHupEve);
  process.on('SIGHUP', onHup);
  const onHupOps = () => {
    if (!ops || stopping) return;
    if (opts.rulesFile) { try { const next = setOpsRules(ops, readRules(opts.rulesFile), opts.rulesFile); if (next.length || !rulesText) opsRules = next; } catch { /* onHup reports it */ } }
    void ops.onHup().then((r) => { for (const x of r.sets) if (!x.ok) log(`SIGHUP: set ${x.name}: ${x.error}; its old networks stay`); });
  };
  if (ops) {
    process.on('SIGHUP', onHupOps);
    ops.onSnapshot = (snap) => { for (const st of states) if (!st.closed) st.w.postMessage({ type: 'sets', snap }); };
  }
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  signal?.addEventListener('abort', onStop);
  // --busy-poll: each receiving worker may keep a CPU busy; more spinners than CPUs take turns
  const cpus = os.availableParallelism();
  const spinners = states.filter((s) => !s.helper).length;
  if ((opts.busyPollUs ?? 0) > 0 && spinners > cpus) log(`warning: --busy-poll with ${spinners} receiving workers on ${cpus} CPU(s): spinning workers will take turns; use --workers <= ${cpus} (docs/inline.md, "Busy poll")`);
  log(`ready: queues ${opts.queues.join(',')} in ${states.length} worker(s)${fanK > 1 ? ` (fan-out: ${fanK} engines per queue)` : ''}, ${opts.failOpen ? 'fail-open' : 'fail-closed'}, rules ${opts.rulesFile ?? '(none: accept all)'}`);
  write({ event_type: 'inline', state: 'ready', queues: opts.queues, workers: states.length, pid: process.pid });

  const statsTimer = setInterval(() => {
    if (statsPending) writeStatsNow();              // a worker never answered the last round
    statsRound++;
    statsPending = true;
    for (const st of states) { st.answered = st.closed; if (!st.closed) st.w.postMessage({ type: 'stats', round: statsRound }); }
    // workers answer within a tick (<= TICK_MS); a stalled worker must not stall stats
    statsDeadline = setTimeout(writeStatsNow, STATS_WAIT_MS);
    statsDeadline.unref();
  }, opts.statsIntervalMs);

  await done;
  clearInterval(statsTimer);
  if (statsDeadline) clearTimeout(statsDeadline);
  process.off('SIGHUP', onHup);
  process.off('SIGHUP', onHupEve);
  process.off('SIGINT', onStop);
  process.off('SIGTERM', onStop);
  write(statsEvent(true));
  if (ops) { process.off('SIGHUP', onHupOps); await ops.close(); }
  log('stopped: verdicts flushed, queues unbound');
  if (eveFile) await eveFile.close();
  const f = fatal as { code: string; message: string } | null;
  if (f) { log(`error[${f.code}]: ${f.message}`); return 1; }
  return 0;
}

function readRules(file: string): string {
  try { return fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new QuellError('QUELL_E_FILE', `${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Returns diagnostics when the rules are refused, null when they are fine. */
function makeValidator(opts: RunOptions): (text: string, file: string) => RulesDiagnostic[] | null {
  if (opts.engineModule) {
    const m = require(path.resolve(opts.engineModule)) as { validateRules?: (t: string) => RulesDiagnostic[] };
    return (text) => {
      const d = typeof m.validateRules === 'function' ? m.validateRules(text) : [];
      return d.some((x) => x.severity === 'error') ? d : null;
    };
  }
  return (text, file) => {
    try { compileRulesText(text, file); return null; } catch (e) {
      if (e instanceof RulesError && e.code === 'QUELL_E_RULES') return e.diagnostics;
      throw e;
    }
  };
}

/** One diagnostic for humans: the compiler's rustc-style text when it has one. */
export function formatDiagnostic(d: RulesDiagnostic, file: string): string {
  if (d.text) return d.text.trimEnd();
  return `${d.severity}${d.code ? `[${d.code}]` : ''}: ${d.line !== undefined ? `${file}:${d.line}${d.col !== undefined ? ':' + d.col : ''}: ` : ''}${d.message}`;
}

function idsUnseen(q: { idGaps: number; lastId: number }, k: { idSequence: number; inflight: number } | undefined): number {
  const tail = k ? Math.max(0, k.idSequence - q.lastId - k.inflight) : 0;
  return q.idGaps + tail;
}

interface OpsRule { name: string; sid: number; private?: boolean; actions: { verb: string }[] }

/** Hand the compiled rules to the operations dispatcher (block/exec/webhook); returns the public rules. */
function setOpsRules(ops: OpsMain, text: string, file: string): OpsRule[] {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { compileRules } = require('../engine/detect') as { compileRules: (t: string, f: string) => { ruleset: { rules: OpsRule[] } | null } };
    const c = compileRules(text, file);
    if (!c.ruleset) return [];
    ops.setRules(c.ruleset.rules as never);
    return c.ruleset.rules.filter((r) => !r.private);
  } catch { return []; /* no compiler in this build: only the workers' local bans */ }
}
