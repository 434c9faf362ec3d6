/**
 * SQLite output: alerts and flows tables (schema in sqlite-schema.ts, docs/sqlite.md), WAL mode.
 *
 * Off the verdict path: `write(events)` maps events to row tuples and appends them to a pending
 * batch (O(rows), no I/O). Batches go to a worker thread (sqlite-worker.ts) that owns the
 * connection and inserts each batch in one transaction; a batch is sent when it reaches
 * `batchRows` or every `flushMs`, whichever is first. Bound: at most `maxInFlight` rows pending +
 * sent-but-unacknowledged; beyond that rows are shed and counted (`shed`), so a slow disk never
 * backs up into the engine.
 *
 * Why a worker and not a timer on the main thread: node:sqlite is synchronous; a 1000-row
 * transaction with fsync can take tens of ms, which is a stall of the event loop that also
 * serves verdicts inline.
 */
import { Worker } from 'worker_threads';
import * as path from 'path';
import { alertRow, flowRow, AlertRow, FlowRow } from './sqlite-schema';
import { eventJson } from '../ops/actions';
import { QuellError } from '../errors';

export const SQLITE_BATCH_ROWS = 1000;
export const SQLITE_FLUSH_MS = 250;
export const SQLITE_MAX_IN_FLIGHT = 100_000;

export interface SqliteOptions {
  batchRows?: number;
  flushMs?: number;
  maxInFlight?: number;
  /** PRAGMA synchronous (NORMAL is durable to the last checkpoint in WAL mode; FULL fsyncs each commit). */
  synchronous?: 'NORMAL' | 'FULL' | 'OFF';
  /** Store flow events too (default true). */
  flows?: boolean;
}

export interface SqliteCounters { alerts: number; flows: number; written: number; shed: number; batches: number; errors: number; inFlight: number }

export class SqliteSink {
  private worker: Worker | null = null;
  private alerts: AlertRow[] = [];
  private flows: FlowRow[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];
  readonly batchRows: number;
  readonly flushMs: number;
  readonly maxInFlight: number;
  readonly withFlows: boolean;
  readonly counters: SqliteCounters = { alerts: 0, flows: 0, written: 0, shed: 0, batches: 0, errors: 0, inFlight: 0 };
  lastError: string | null = null;

  private constructor(readonly file: string, o: SqliteOptions) {
    this.batchRows = o.batchRows ?? SQLITE_BATCH_ROWS;
    this.flushMs = o.flushMs ?? SQLITE_FLUSH_MS;
    this.maxInFlight = o.maxInFlight ?? SQLITE_MAX_IN_FLIGHT;
    this.withFlows = o.flows ?? true;
  }

  /** Open (creates the file and schema) and wait until the writer is ready. */
  static async open(file: string, o: SqliteOptions = {}): Promise<SqliteSink> {
    const s = new SqliteSink(file, o);
    const w = new Worker(path.join(__dirname, 'sqlite-worker.js'), { workerData: { file, synchronous: o.synchronous ?? 'NORMAL' } });
    await new Promise<void>((resolve, reject) => {
      const onMsg = (m: { t: string; message?: string }) => {
        if (m.t === 'ready') { w.off('message', onMsg); resolve(); }
        else if (m.t === 'fatal') reject(new QuellError('QUELL_E_SQLITE', `${file}: ${m.message}`));
      };
      w.on('message', onMsg);
      w.once('error', (e) => reject(new QuellError('QUELL_E_SQLITE', `${file}: ${e.message}`)));
    });
    w.on('message', (m: { t: string; rows?: number; message?: string }) => s.onMessage(m));
    w.on('error', (e) => { s.counters.errors++; s.lastError = e.message; });
    w.unref();
    s.worker = w;
    s.timer = setInterval(() => s.flush(), s.flushMs);
    s.timer.unref();
    return s;
  }

  private onMessage(m: { t: string; rows?: number; message?: string }): void {
    if (m.t === 'done') { this.inFlight -= m.rows ?? 0; this.counters.written += m.rows ?? 0; }
    else if (m.t === 'error') { this.inFlight -= m.rows ?? 0; this.counters.errors++; this.counters.shed += m.rows ?? 0; this.lastError = m.message ?? null; }
    this.counters.inFlight = this.inFlight;
    if (this.inFlight === 0 && this.alerts.length === 0 && this.flows.length === 0) {
      // nothing outstanding: let the process exit if nothing else keeps it alive
      this.worker?.unref();
      const w = this.waiters; this.waiters = []; for (const f of w) f();
    }
  }

  /** Take alert/drop and flow events (others are ignored). Never blocks; sheds beyond maxInFlight. */
  write(events: readonly Record<string, unknown>[]): void {
    for (const ev of events) {
      const t = ev.event_type;
      const isAlert = t === 'alert' || t === 'drop';
      if (!isAlert && !(t === 'flow' && this.withFlows)) continue;
      if (this.inFlight >= this.maxInFlight || !this.worker) { this.counters.shed++; continue; }
      if (isAlert) { this.alerts.push(alertRow(ev, eventJson(ev))); this.counters.alerts++; }
      else { this.flows.push(flowRow(ev)); this.counters.flows++; }
      this.inFlight++;
    }
    this.counters.inFlight = this.inFlight;
    if (this.alerts.length + this.flows.length >= this.batchRows) this.flush();
  }

  /** Send the pending rows to the writer now. */
  flush(): void {
    if (!this.worker || (this.alerts.length === 0 && this.flows.length === 0)) return;
    this.worker.ref(); // rows in flight keep the process alive until committed
    this.worker.postMessage({ t: 'rows', alerts: this.alerts, flows: this.flows });
    this.alerts = []; this.flows = [];
    this.counters.batches++;
  }

  /** Resolves when every accepted row is committed (or failed). */
  idle(): Promise<void> {
    this.flush();
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  async close(): Promise<void> {
    if (!this.worker) return;
    await this.idle();
    if (this.timer) { clearInterval(this.timer); this.timer = null; }
    const w = this.worker; this.worker = null;
    w.ref();
    await new Promise<void>((r) => { w.on('message', (m: { t: string }) => { if (m.t === 'closed') r(); }); w.once('exit', () => r()); w.postMessage({ t: 'close' }); });
    await w.terminate();
  }
}
