/**
 * Actions off the verdict path: `exec "program" args` and `webhook "url"`.
 *
 * Contract with the engine/runner: `submit()` is synchronous and O(1). It only checks the
 * per-rule rate limit and the bounded queue, then returns a SUBMIT_* code; it never spawns,
 * connects or writes. The work starts from a setImmediate callback (after the current batch's
 * verdicts are out), at most `maxConcurrent` at a time. Spawning is itself a synchronous fork
 * of a large process (~1-5 ms), which is why it must not happen inside submit().
 *
 * - exec: child_process.spawn(program, args) with `shell: false` (argv, never a shell), the
 *   event as one JSON document on stdin, and QUELL_* environment variables (ENV_VARS below, see
 *   docs/operations.md). The environment is PATH, LANG and QUELL_* only (nothing else of quell's
 *   environment leaks to scripts). stdout is discarded; stderr is kept up to MAX_STDERR bytes
 *   for the failure message. Killed with SIGKILL at the timeout.
 * - webhook: POST of the event JSON to exactly the rule's URL (http: or https:; redirects are
 *   not followed), aborted at the timeout; a status outside 2xx is a failure.
 *
 * Shedding: a rule over its rate (token bucket: `ratePerSec`, burst `burst`) or a full queue
 * (`maxQueue`) drops the run and counts it (shedRate, shedQueue). Failures (spawn error,
 * non-zero exit, signal, HTTP error, network error) count in `failed`; timeouts in `timedOut`
 * (and failed).
 */
import { spawn } from 'child_process';
import * as http from 'http';
import * as https from 'https';
import { OpsConfigError } from './errors';

export const ACTION_MAX_CONCURRENT = 4;
export const ACTION_MAX_QUEUE = 256;
export const ACTION_TIMEOUT_MS = 10_000;
export const ACTION_RATE_PER_SEC = 5;
export const ACTION_BURST = 10;
/** stderr bytes kept per failed exec, for the error message. */
export const MAX_STDERR = 2048;
/** Largest event JSON sent (bigger events are truncated to their summary fields). */
export const MAX_EVENT_JSON = 64 * 1024;

export const SUBMIT_QUEUED = 0;
export const SUBMIT_SHED_RATE = 1;
export const SUBMIT_SHED_QUEUE = 2;

export type ActionSpec =
  | { kind: 'exec'; program: string; args: string[] }
  | { kind: 'webhook'; url: string };

export interface ActionOptions {
  maxConcurrent?: number;
  maxQueue?: number;
  timeoutMs?: number;
  ratePerSec?: number;
  burst?: number;
  /** Clock for the rate limiter (ms). */
  clock?: () => number;
}

export interface ActionCounters {
  submitted: number; started: number; succeeded: number; failed: number; timedOut: number;
  shedRate: number; shedQueue: number; running: number; queued: number;
}

export interface ActionResult { rule: string; kind: string; ok: boolean; timedOut: boolean; detail: string; ms: number }

/** The environment variables an exec action receives (besides PATH and LANG). */
export const ENV_VARS = [
  'QUELL_EVENT_TYPE', 'QUELL_TIMESTAMP', 'QUELL_RULE_SID', 'QUELL_RULE_NAME', 'QUELL_RULE_ACTION',
  'QUELL_SRC_IP', 'QUELL_SRC_PORT', 'QUELL_DEST_IP', 'QUELL_DEST_PORT', 'QUELL_PROTO', 'QUELL_FLOW_ID',
] as const;

/** Validate an action from a rule (at compile/load time, not per event). */
export function checkAction(a: ActionSpec): void {
  if (a.kind === 'exec') {
    if (!a.program || a.program.includes('\0')) throw new OpsConfigError('exec: empty or invalid program');
    for (const x of a.args) if (x.includes('\0')) throw new OpsConfigError('exec: argument contains NUL');
  } else {
    let u: URL;
    try { u = new URL(a.url); } catch { throw new OpsConfigError(`webhook: not a URL: ${JSON.stringify(a.url)}`); }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OpsConfigError(`webhook: only http: and https: URLs, got ${u.protocol}`);
  }
}

/** JSON for an engine event: bigints as numbers when safe else strings, plus an ISO timestamp. */
export function eventJson(ev: Record<string, unknown>): string {
  const ts = ev.tsNs;
  const withTs = typeof ts === 'bigint' && ev.timestamp === undefined
    ? { timestamp: new Date(Number(ts / 1_000_000n)).toISOString(), ...ev } : ev;
  const s = JSON.stringify(withTs, (_k, v) => typeof v === 'bigint'
    ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString())
    : (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
  if (s.length <= MAX_EVENT_JSON) return s;
  return JSON.stringify({ timestamp: (withTs as Record<string, unknown>).timestamp, event_type: ev.event_type, truncated: true });
}

function str(v: unknown): string { return v === undefined || v === null ? '' : typeof v === 'object' ? '' : String(v); }

/** QUELL_* variables from an EVE-shaped event (alert.signature_id, src_ip, ...). */
export function eventEnv(ev: Record<string, unknown>, rule: string): Record<string, string> {
  const alert = (ev.alert && typeof ev.alert === 'object' ? ev.alert : {}) as Record<string, unknown>;
  const ts = ev.tsNs;
  return {
    QUELL_EVENT_TYPE: str(ev.event_type),
    QUELL_TIMESTAMP: typeof ts === 'bigint' ? new Date(Number(ts / 1_000_000n)).toISOString() : str(ev.timestamp),
    QUELL_RULE_SID: str(alert.signature_id ?? ev.sid ?? rule),
    QUELL_RULE_NAME: str(alert.signature ?? ev.rule),
    QUELL_RULE_ACTION: str(alert.action ?? ev.action),
    QUELL_SRC_IP: str(ev.src_ip), QUELL_SRC_PORT: str(ev.src_port),
    QUELL_DEST_IP: str(ev.dest_ip), QUELL_DEST_PORT: str(ev.dest_port),
    QUELL_PROTO: str(ev.proto), QUELL_FLOW_ID: str(ev.flow_id),
  };
}

interface Job { rule: string; spec: ActionSpec; ev: Record<string, unknown> }
interface Bucket { tokens: number; last: number; shed: number; runs: number; failed: number }

export class ActionRunner {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  readonly timeoutMs: number;
  readonly ratePerSec: number;
  readonly burst: number;
  private readonly clock: () => number;
  /** Ring buffer of pending jobs. */
  private readonly ring: (Job | null)[];
  private head = 0;
  private count = 0;
  private running = 0;
  private pumpScheduled = false;
  private closed = false;
  private readonly buckets = new Map<string, Bucket>();
  private idleWaiters: (() => void)[] = [];
  readonly counters: ActionCounters = { submitted: 0, started: 0, succeeded: 0, failed: 0, timedOut: 0, shedRate: 0, shedQueue: 0, running: 0, queued: 0 };
  /** Last failures (bounded), for `quell ctl stats`. */
  readonly lastFailures: ActionResult[] = [];
  /** Called after each run (tests, logging). */
  onResult: ((r: ActionResult) => void) | null = null;

  constructor(o: ActionOptions = {}) {
    this.maxConcurrent = o.maxConcurrent ?? ACTION_MAX_CONCURRENT;
    this.maxQueue = o.maxQueue ?? ACTION_MAX_QUEUE;
    this.timeoutMs = o.timeoutMs ?? ACTION_TIMEOUT_MS;
    this.ratePerSec = o.ratePerSec ?? ACTION_RATE_PER_SEC;
    this.burst = o.burst ?? ACTION_BURST;
    this.clock = o.clock ?? Date.now;
    this.ring = new Array<Job | null>(this.maxQueue).fill(null);
  }

  /**
   * Queue an action for an event. Synchronous, O(1), never blocks, never throws on load:
   * returns SUBMIT_QUEUED, SUBMIT_SHED_RATE (rule over its rate) or SUBMIT_SHED_QUEUE (full).
   * `ev` must not be mutated by the caller afterwards (ownership passes to the runner).
   */
  submit(rule: string, spec: ActionSpec, ev: Record<string, unknown>): number {
    this.counters.submitted++;
    let b = this.buckets.get(rule);
    const now = this.clock();
    if (!b) { b = { tokens: this.burst, last: now, shed: 0, runs: 0, failed: 0 }; this.buckets.set(rule, b); }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.last) * this.ratePerSec) / 1000);
    b.last = now;
    if (b.tokens < 1) { b.shed++; this.counters.shedRate++; return SUBMIT_SHED_RATE; }
    if (this.closed || this.count >= this.maxQueue) { b.shed++; this.counters.shedQueue++; return SUBMIT_SHED_QUEUE; }
    b.tokens -= 1;
    this.ring[(this.head + this.count) % this.maxQueue] = { rule, spec, ev };
    this.count++;
    this.counters.queued = this.count;
    if (!this.pumpScheduled) { this.pumpScheduled = true; setImmediate(() => this.pump()); }
    return SUBMIT_QUEUED;
  }

  /** Per-rule counters. */
  ruleStats(): Record<string, { runs: number; failed: number; shed: number }> {
    const o: Record<string, { runs: number; failed: number; shed: number }> = {};
    for (const [k, b] of this.buckets) o[k] = { runs: b.runs, failed: b.failed, shed: b.shed };
    return o;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.count === 0 && this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stop accepting work; running jobs finish (or time out). */
  async close(): Promise<void> { this.closed = true; await this.idle(); }

  private pump(): void {
    this.pumpScheduled = false;
    while (this.running < this.maxConcurrent && this.count > 0) {
      const job = this.ring[this.head]!;
      this.ring[this.head] = null;
      this.head = (this.head + 1) % this.maxQueue;
      this.count--;
      this.running++;
      this.counters.started++;
      const b = this.buckets.get(job.rule);
      if (b) b.runs++;
      const t0 = Date.now();
      const done = (ok: boolean, timedOut: boolean, detail: string): void => {
        this.running--;
        if (ok) this.counters.succeeded++; else { this.counters.failed++; if (b) b.failed++; }
        if (timedOut) this.counters.timedOut++;
        const r: ActionResult = { rule: job.rule, kind: job.spec.kind, ok, timedOut, detail, ms: Date.now() - t0 };
        if (!ok) { this.lastFailures.push(r); if (this.lastFailures.length > 16) this.lastFailures.shift(); }
        this.onResult?.(r);
        this.counters.running = this.running; this.counters.queued = this.count;
        if (this.count > 0 && !this.pumpScheduled) { this.pumpScheduled = true; setImmediate(() => this.pump()); }
        if (this.count === 0 && this.running === 0) { const w = this.idleWaiters; this.idleWaiters = []; for (const f of w) f(); }
      };
      try {
        if (job.spec.kind === 'exec') this.runExec(job, done); else this.runWebhook(job, done);
      } catch (e) { done(false, false, `start: ${(e as Error).message}`); }
    }
    this.counters.running = this.running; this.counters.queued = this.count;
  }

  private runExec(job: Job, done: (ok: boolean, timedOut: boolean, detail: string) => void): void {
    const spec = job.spec as { program: string; args: string[] };
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: process.env.LANG ?? 'C.UTF-8', ...eventEnv(job.ev, job.rule) };
    let finished = false, timedOut = false;
    let stderr = '';
    const child = spawn(spec.program, spec.args, { shell: false, env, stdio: ['pipe', 'ignore', 'pipe'], detached: false });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, this.timeoutMs);
    const finish = (ok: boolean, detail: string): void => {
      if (finished) return;
      finished = true; clearTimeout(timer);
      done(ok && !timedOut, timedOut, timedOut ? `timed out after ${this.timeoutMs} ms` : detail);
    };
    child.on('error', (e) => finish(false, `spawn: ${e.message}`));
    child.stderr!.on('data', (d: Buffer) => { if (stderr.length < MAX_STDERR) stderr += d.toString('utf8', 0, Math.min(d.length, MAX_STDERR - stderr.length)); });
    child.stdin!.on('error', () => { /* the program need not read its stdin (EPIPE) */ });
    child.on('close', (code, sig) => finish(code === 0, code === 0 ? 'exit 0' : `exit ${code ?? sig}${stderr ? `: ${stderr.trim()}` : ''}`));
    child.stdin!.end(eventJson(job.ev) + '\n');
  }

  private runWebhook(job: Job, done: (ok: boolean, timedOut: boolean, detail: string) => void): void {
    const url = new URL((job.spec as { url: string }).url);
    const body = Buffer.from(eventJson(job.ev));
    const mod = url.protocol === 'https:' ? https : http;
    let finished = false, timedOut = false;
    const finish = (ok: boolean, detail: string): void => {
      if (finished) return;
      finished = true; clearTimeout(timer);
      done(ok && !timedOut, timedOut, timedOut ? `timed out after ${this.timeoutMs} ms` : detail);
    };
    const req = mod.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, 'user-agent': 'quell-webhook/1', 'x-quell-rule': job.rule },
      agent: false,
    }, (res) => {
      res.resume(); // drain the body (bounded by the timeout)
      res.on('end', () => finish(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300, `HTTP ${res.statusCode}`));
      res.on('error', (e) => finish(false, `response: ${e.message}`));
    });
    const timer = setTimeout(() => { timedOut = true; req.destroy(new Error('timeout')); }, this.timeoutMs);
    req.on('error', (e) => finish(false, `request: ${e.message}`));
    req.end(body);
  }
}
