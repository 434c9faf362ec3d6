/**
 * The operations layer assembled for `quell run`, so the runner needs a handful of lines:
 *
 *   main thread (src/inline/run.ts):
 *     const ops = await OpsMain.start(opts, { listRules, reloadRules, stats });
 *     workerData.ops = ops.workerInit(index);                 // structured-cloneable
 *     on worker 'events':  ops.onEvents(events);             // bans, actions, sqlite, sockets, metrics
 *     on worker 'stats':   ops.onWorkerStats(index, stats.ops) // what OpsWorker.stats() returned
 *     SIGHUP:              ops.onHup();                        // set files reload, EVE file reopen
 *     shutdown:            await ops.close();
 *     ops.onSnapshot = (snap) => every worker.postMessage({ type: 'sets', snap });
 *
 *   worker thread (src/inline/worker.ts, engine-host.ts):
 *     const ow = new OpsWorker(init.ops);
 *     engine.detect = ow.wrap(detect);                        // again after each rules reload
 *     after processBatch(b), before complete(b): ow.afterBatch(b);   // --pcap-drops
 *     on { type: 'sets', snap }: ow.setSnapshot(snap);
 *     stats: { ..., ops: ow.stats() }
 *     rules glue: FieldSource.rate -> ow.ops.rate(...); `block src for N` -> ow.ops.ban(...)
 */
import { SetRegistry, NamedSet, SetRole, SetsSnapshot } from './sets';
import { BanStore, BanTable, MAX_BANS } from './bans';
import { OpsDispatcher, GateMode, RuleActions } from './runtime';
import { ActionRunner, ActionOptions, eventJson } from './actions';
import { ControlServer } from '../control/server';
import { OpsHandler, OpsHandlerHooks } from '../control/handler';
import { QuellMetrics, serveMetrics } from '../outputs/metrics';
import { SqliteSink } from '../outputs/sqlite';
import { LineFile, EveSocketSink } from '../outputs/sinks';
import { ProtoStreamSink } from '../outputs/proto-stream';
import { OpsWorker, OpsWorkerInit } from './ops-worker';
import { V_ACCEPT, V_DROP, V_REJECT, V_REPEAT, V_QUEUE } from '../io/batch';
import { EVENT_NAMES } from '../../decoders/events';

/** How often expired dynamic entries are reclaimed (memory only: expiry itself is exact). */
export const SWEEP_INTERVAL_MS = 1000;

export interface SetSpec { name: string; role: SetRole; file: string | null; aggregate4?: number; aggregate6?: number; maxDynamic?: number }

export interface OpsMainOptions {
  sets?: SetSpec[];
  /** Set that `block` actions and bans go to; created (role block, no file) when not in `sets`. */
  banSet?: string;
  stateFile?: string | null;
  controlSocket?: string | null;
  controlTcp?: { host: string; port: number } | null;
  controlToken?: string | null;
  metricsPort?: number | null;
  metricsHost?: string;
  sqliteFile?: string | null;
  /** EVE JSON file that is reopened on SIGHUP (the runner may keep its own EVE writer instead). */
  eveFile?: string | null;
  eveSocket?: string | null;
  protoSocket?: string | null;
  pcapDrops?: string | null;
  gateMode?: GateMode;
  timeZone?: string;
  actions?: ActionOptions;
  /** Names of verdict kinds (index = V_* number) and decode events, for the metrics labels. */
  verdictNames?: readonly string[];
  eventNames?: readonly string[];
}

/** Metric label per verdict kind number (index = V_* in io/batch.ts). */
export const VERDICT_NAMES: readonly string[] = (() => {
  const n: string[] = [];
  n[V_DROP] = 'drop'; n[V_ACCEPT] = 'accept'; n[V_QUEUE] = 'queue'; n[V_REPEAT] = 'repeat'; n[V_REJECT] = 'reject';
  for (let i = 0; i < n.length; i++) if (n[i] === undefined) n[i] = `kind${i}`;
  return n;
})();


export class OpsMain {
  readonly registry = new SetRegistry();
  store: BanStore | null = null;
  readonly runner: ActionRunner;
  readonly dispatcher: OpsDispatcher;
  readonly metrics: QuellMetrics;
  control: ControlServer | null = null;
  metricsServer: { port: number; close(): Promise<void> } | null = null;
  sqlite: SqliteSink | null = null;
  eve: LineFile | null = null;
  eveSocket: EveSocketSink | null = null;
  proto: ProtoStreamSink | null = null;
  /** Post a new sets snapshot to every worker (the runner sets this). */
  onSnapshot: ((snap: SetsSnapshot) => void) | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private workerStats = new Map<number, Record<string, number>>();
  private prevBlocked = 0;
  private prevAllowed = 0;

  private constructor(readonly opts: OpsMainOptions) {
    this.runner = new ActionRunner(opts.actions ?? {});
    this.dispatcher = new OpsDispatcher(this.registry, this.runner, { banSet: opts.banSet ?? 'bans' });
    this.metrics = new QuellMetrics(opts.verdictNames ?? VERDICT_NAMES, opts.eventNames ?? EVENT_NAMES);
  }

  /** Load sets and ban state, open outputs, start the control API and metrics. */
  static async start(opts: OpsMainOptions, hooks: OpsHandlerHooks = {}): Promise<OpsMain> {
    const m = new OpsMain(opts);
    const banSet = opts.banSet ?? 'bans';
    const specs = [...(opts.sets ?? [])];
    if (!specs.some((s) => s.name === banSet)) specs.push({ name: banSet, role: 'block', file: null });
    for (const s of specs) {
      m.registry.add(new NamedSet(s.name, s.role, s.file, { aggregate4: s.aggregate4, aggregate6: s.aggregate6 }, undefined, true, s.maxDynamic ?? MAX_BANS / 16));
    }
    m.registry.onSnapshotChange = () => m.onSnapshot?.(m.registry.snapshot());
    if (opts.stateFile) {
      m.store = new BanStore(opts.stateFile, new Map(m.registry.all().map((s) => [s.name, s.timed])));
      // entries of sets no longer configured are dropped (a table made here is never read)
      m.store.load(() => new BanTable());
    }
    try {
      if (opts.sqliteFile) m.sqlite = await SqliteSink.open(opts.sqliteFile);
      if (opts.eveFile) m.eve = new LineFile(opts.eveFile);
      if (opts.eveSocket) { m.eveSocket = new EveSocketSink(opts.eveSocket); await m.eveSocket.start(); }
      if (opts.protoSocket) { m.proto = new ProtoStreamSink(opts.protoSocket); await m.proto.start(); }
      if (opts.controlSocket !== null || opts.controlTcp) {
        const handler = new OpsHandler(m.registry, { ...hooks, stats: () => ({ ...(hooks.stats ? hooks.stats() : {}), ops: m.stats() }) });
        m.control = new ControlServer(handler, { socket: opts.controlSocket, tcp: opts.controlTcp ?? null, token: opts.controlToken ?? null });
        await m.control.start();
      }
      if (opts.metricsPort !== undefined && opts.metricsPort !== null) m.metricsServer = await serveMetrics(m.metrics.registry, opts.metricsPort, opts.metricsHost ?? '127.0.0.1');
    } catch (e) { await m.close(); throw e; }
    m.sweepTimer = setInterval(() => { const now = Date.now(); for (const s of m.registry.all()) s.timed.sweep(now); }, SWEEP_INTERVAL_MS);
    m.sweepTimer.unref();
    return m;
  }

  workerInit(index: number): OpsWorkerInit {
    const p = this.opts.pcapDrops ?? null;
    return {
      snap: this.registry.snapshot(), gateMode: this.opts.gateMode ?? 'src', timeZone: this.opts.timeZone ?? 'UTC',
      pcapDrops: p === null ? null : index === 0 ? p : `${p}.${index}`,
    };
  }

  /** Rules (re)loaded: which rules carry block/exec/webhook actions. */
  setRules(rules: readonly RuleActions[]): void { this.dispatcher.setRules(rules); }

  /** Events drained from a worker (once per tick). Never blocks. */
  onEvents(events: readonly Record<string, unknown>[]): void {
    this.dispatcher.onEvents(events);
    this.sqlite?.write(events);
    this.proto?.write(events);
    if (this.eve || this.eveSocket) {
      for (const ev of events) {
        const line = eventJson(ev);
        this.eve?.write(line + '\n');
        this.eveSocket?.writeLine(line);
      }
    }
    for (const ev of events) {
      if (ev.event_type === 'alert') {
        const a = (ev.alert ?? {}) as Record<string, unknown>;
        this.metrics.alerts.child(String(a.sid ?? a.signature_id ?? a.rule ?? 'unknown')).v++;
      }
    }
  }

  /** OpsWorker.stats() of worker `index` (sets blocked/allowed counters into metrics). */
  onWorkerStats(index: number, s: Record<string, number>): void {
    this.workerStats.set(index, s);
    let blocked = 0, allowed = 0;
    for (const w of this.workerStats.values()) { blocked += w.blocked ?? 0; allowed += w.allowed ?? 0; }
    this.metrics.setBlocked.v += Math.max(0, blocked - this.prevBlocked); this.prevBlocked = blocked;
    this.metrics.setAllowed.v += Math.max(0, allowed - this.prevAllowed); this.prevAllowed = allowed;
    this.metrics.actionsShed.v = this.runner.counters.shedQueue + this.runner.counters.shedRate;
    this.metrics.actionsFailed.v = this.runner.counters.failed;
    this.metrics.outputShed.child('sqlite').v = this.sqlite?.counters.shed ?? 0;
    if (this.eve) this.metrics.outputShed.child('eve_file').v = this.eve.counters.shed;
    this.metrics.outputShed.child('eve_socket').v = this.eveSocket?.fanout.counters.shed ?? 0;
    this.metrics.outputShed.child('proto').v = this.proto?.fanout.counters.shed ?? 0;
  }

  /**
   * The runner's stats event (docs/inline.md section 7: {event_type:'stats', inline:{queues, engine}})
   * into the Prometheus metrics: packets, verdicts, kernel queue drops, batch sizes, decode events,
   * flows. Totals are set (the event carries cumulative counters), not added.
   */
  onRunnerStats(ev: Record<string, unknown>): void {
    const inl = (ev.inline ?? {}) as { queues?: Record<string, any>[]; engine?: (Record<string, any> | null)[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const m = this.metrics;
    let packets = 0, batches = 0, qdrops = 0;
    const verdicts = new Float64Array(m.verdicts.v.length);
    const hist = new Float64Array(m.batchSize.counts.length);
    for (const q of inl.queues ?? []) {
      packets += Number(q.packets ?? 0); batches += Number(q.batches ?? 0);
      const v = q.verdicts ?? {};
      verdicts[V_ACCEPT] += Number(v.accept ?? 0); verdicts[V_DROP] += Number(v.drop ?? 0);
      verdicts[V_REPEAT] += Number(v.repeat ?? 0); verdicts[V_QUEUE] += Number(v.queue ?? 0); verdicts[V_REJECT] += Number(v.reject ?? 0);
      if (q.kernel) qdrops += Number(q.kernel.queue_dropped ?? 0) + Number(q.kernel.user_dropped ?? 0);
      const h = Array.isArray(q.batch_hist) ? q.batch_hist : [];
      for (let i = 0; i < h.length; i++) hist[Math.min(i, hist.length - 1)] += Number(h[i] ?? 0);
    }
    m.packets.v = packets;
    m.verdicts.v.set(verdicts);
    m.queueDrops.v = qdrops;
    m.batchSize.counts.set(hist);
    m.batchSize.count = batches; m.batchSize.sum = packets; // sum of batch sizes = packets received
    let bytes = 0, active = 0, max = 0;
    const evs = new Float64Array(m.decodeEvents.v.length);
    for (const e of inl.engine ?? []) {
      if (!e) continue;
      bytes += Number(e.decoder?.bytes ?? 0);
      active += Number(e.flow?.active ?? 0); max += Number(e.flow?.memcap_flows ?? 0);
      for (const [name, n] of Object.entries((e.decoder?.event ?? {}) as Record<string, number>)) {
        const i = m.decodeEvents.values.indexOf(name);
        if (i >= 0) evs[i] += Number(n);
      }
    }
    m.bytes.v = bytes;
    m.decodeEvents.v.set(evs);
    // verdict latency: each reader worker's histogram (src/inline/latency.ts), summed; same bounds
    const lat = new Float64Array(m.verdictLatency.counts.length);
    let latSum = 0, latCount = 0;
    for (const w of (inl as { workers?: Record<string, any>[] }).workers ?? []) { // eslint-disable-line @typescript-eslint/no-explicit-any
      const l = w?.verdict_latency;
      if (!l || !Array.isArray(l.counts) || l.counts.length !== lat.length) continue;
      for (let i = 0; i < lat.length; i++) lat[i] += Number(l.counts[i] ?? 0);
      latSum += Number(l.sum ?? 0); latCount += Number(l.count ?? 0);
    }
    m.verdictLatency.counts.set(lat);
    m.verdictLatency.sum = latSum; m.verdictLatency.count = latCount;
    m.flowsActive.v = active; m.flowsMax.v = max;
    const ef = (inl as { eve_file?: { shed?: number } | null }).eve_file;   // the runner's own --eve file
    if (!this.eve && ef) m.outputShed.child('eve_file').v = Number(ef.shed ?? 0);
  }

  /** SIGHUP: reload set files (bad files keep their networks), reopen the EVE file. */
  async onHup(): Promise<{ sets: ReturnType<SetRegistry['reloadAll']> }> {
    const sets = this.registry.reloadAll();
    if (this.eve) await this.eve.reopen();
    return { sets };
  }

  stats(): Record<string, unknown> {
    return {
      sets: this.registry.all().map((s) => ({ name: s.name, role: s.role, networks: s.cidrs.size, dynamic: s.timed.size })),
      workers: Object.fromEntries(this.workerStats),
      dispatcher: this.dispatcher.counters, actions: this.runner.counters,
      sqlite: this.sqlite?.counters ?? null, eveFile: this.eve?.counters ?? null,
      eveSocket: this.eveSocket?.fanout.counters ?? null, proto: this.proto?.fanout.counters ?? null,
      banState: this.store ? { writes: this.store.writes, errors: this.store.writeErrors, lastError: this.store.lastError } : null,
    };
  }

  async close(): Promise<void> {
    if (this.sweepTimer) { clearInterval(this.sweepTimer); this.sweepTimer = null; }
    try { this.store?.flushSync(); } catch { /* reported by stats before */ }
    this.store?.close();
    await this.control?.close();
    await this.metricsServer?.close();
    await this.runner.close();
    await this.sqlite?.close();
    await this.eve?.close();
    await this.eveSocket?.close();
    await this.proto?.close();
  }
}


export { OpsWorker, OpsWorkerInit };
