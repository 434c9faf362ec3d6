/**
 * Metrics: a registry of counters, gauges and histograms, exposed in the Prometheus text format
 * (version 0.0.4) on a local HTTP port (127.0.0.1 by default: metrics reveal traffic shape).
 *
 * Hot-path contract: the engine resolves its metric objects once (at start or ruleset load) and
 * then updates plain numbers: `c.v++`, `vec.v[i] += n`, `h.observe(x)` (a bounded loop over the
 * fixed bucket bounds + three array writes). Nothing allocates per packet; strings are built only
 * at scrape time. Labelled families with a dynamic key (alerts by rule) resolve the child once per
 * new key (`child(key)`, one Map lookup) and the caller keeps the child.
 *
 * Why not prom-client: it allocates label objects on every labelled inc() and is a dependency
 * for ~150 lines of format code.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { OpsConfigError } from '../ops/errors';

/** Dynamic label values per family (alerts by rule): beyond this, new keys go to "other". */
export const MAX_LABEL_VALUES = 10_000;

type Kind = 'counter' | 'gauge' | 'histogram';

function esc(s: string): string { return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"'); }
function fmt(v: number): string { return Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN'; }
function checkName(n: string): void { if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(n)) throw new OpsConfigError(`bad metric name ${JSON.stringify(n)}`); }

interface Metric { name: string; help: string; kind: Kind; render(out: string[]): void }

export class Counter implements Metric {
  readonly kind = 'counter' as const;
  /** The value; the engine increments it directly. */
  v = 0;
  constructor(readonly name: string, readonly help: string) {}
  inc(n = 1): void { this.v += n; }
  render(out: string[]): void { out.push(`${this.name} ${fmt(this.v)}`); }
}

export class Gauge implements Metric {
  readonly kind = 'gauge' as const;
  v = 0;
  /** When set, read at scrape time (e.g. flow table use). */
  constructor(readonly name: string, readonly help: string, readonly collect: (() => number) | null = null) {}
  set(x: number): void { this.v = x; }
  render(out: string[]): void { out.push(`${this.name} ${fmt(this.collect ? this.collect() : this.v)}`); }
}

/** A family with a fixed label set known up front (verdict kinds, decode events): one array slot per value. */
export class FixedVec implements Metric {
  readonly v: Float64Array;
  constructor(readonly name: string, readonly help: string, readonly kind: 'counter' | 'gauge', readonly label: string, readonly values: readonly string[]) {
    this.v = new Float64Array(values.length);
  }
  render(out: string[]): void {
    for (let i = 0; i < this.values.length; i++) out.push(`${this.name}{${this.label}="${esc(this.values[i])}"} ${fmt(this.v[i])}`);
  }
}

/** A family keyed by a dynamic label (rule sid): child(key) once, then child.v++. */
export class DynamicVec implements Metric {
  private readonly children = new Map<string, Counter>();
  readonly other: Counter;
  constructor(readonly name: string, readonly help: string, readonly kind: 'counter' | 'gauge', readonly label: string, readonly maxValues = MAX_LABEL_VALUES) {
    this.other = new Counter(name, help);
  }
  child(key: string): Counter {
    let c = this.children.get(key);
    if (!c) {
      if (this.children.size >= this.maxValues) return this.other;
      c = new Counter(this.name, this.help);
      this.children.set(key, c);
    }
    return c;
  }
  render(out: string[]): void {
    for (const [k, c] of this.children) out.push(`${this.name}{${this.label}="${esc(k)}"} ${fmt(c.v)}`);
    if (this.other.v) out.push(`${this.name}{${this.label}="other"} ${fmt(this.other.v)}`);
  }
}

/** Histogram with fixed upper bounds (le). observe(): a scan over the bounds, three writes. */
export class Histogram implements Metric {
  readonly kind = 'histogram' as const;
  readonly bounds: Float64Array;
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly name: string, readonly help: string, bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) if (!(bounds[i] > bounds[i - 1])) throw new OpsConfigError(`${name}: bucket bounds must increase`);
    this.bounds = Float64Array.from(bounds);
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(x: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && x > b[i]) i++;
    this.counts[i]++;
    this.sum += x;
    this.count++;
  }
  render(out: string[]): void {
    let cum = 0;
    for (let i = 0; i < this.bounds.length; i++) { cum += this.counts[i]; out.push(`${this.name}_bucket{le="${fmt(this.bounds[i])}"} ${cum}`); }
    cum += this.counts[this.bounds.length];
    out.push(`${this.name}_bucket{le="+Inf"} ${cum}`);
    out.push(`${this.name}_sum ${fmt(this.sum)}`);
    out.push(`${this.name}_count ${this.count}`);
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  private add<T extends Metric>(m: T): T {
    checkName(m.name);
    if (this.metrics.has(m.name)) throw new OpsConfigError(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }
  counter(name: string, help: string): Counter { return this.add(new Counter(name, help)); }
  gauge(name: string, help: string, collect: (() => number) | null = null): Gauge { return this.add(new Gauge(name, help, collect)); }
  fixedVec(name: string, help: string, kind: 'counter' | 'gauge', label: string, values: readonly string[]): FixedVec {
    return this.add(new FixedVec(name, help, kind, label, values));
  }
  dynamicVec(name: string, help: string, kind: 'counter' | 'gauge', label: string, maxValues = MAX_LABEL_VALUES): DynamicVec {
    return this.add(new DynamicVec(name, help, kind, label, maxValues));
  }
  histogram(name: string, help: string, bounds: readonly number[]): Histogram { return this.add(new Histogram(name, help, bounds)); }
  get(name: string): Metric | undefined { return this.metrics.get(name); }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics.values()) {
      out.push(`# HELP ${m.name} ${m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      out.push(`# TYPE ${m.name} ${m.kind}`);
      m.render(out);
    }
    return out.join('\n') + '\n';
  }
}

/** Verdict latency buckets in seconds (10 us .. 100 ms). */
export const LATENCY_BUCKETS_S = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1];
/** Batch size buckets (packets): the NFQUEUE addon's log2 buckets 1, 2-3, 4-7, ..., 64-127, 128+. */
export const BATCH_BUCKETS = [1, 3, 7, 15, 31, 63, 127];

/**
 * The standard quell metrics, resolved once. The engine/runner keeps this object and updates
 * fields directly (see docs/operations.md "Metrics" for names).
 */
export class QuellMetrics {
  readonly registry = new MetricsRegistry();
  readonly packets: Counter;
  readonly bytes: Counter;
  readonly verdicts: FixedVec;
  readonly alerts: DynamicVec;
  readonly decodeEvents: FixedVec;
  readonly queueDrops: Counter;
  readonly flowsActive: Gauge;
  readonly flowsMax: Gauge;
  readonly batchSize: Histogram;
  readonly verdictLatency: Histogram;
  readonly setBlocked: Counter;
  readonly setAllowed: Counter;
  readonly actionsShed: Counter;
  readonly actionsFailed: Counter;
  readonly outputShed: DynamicVec;

  /** `verdictNames` index = verdict kind number (V_* in io/batch.ts); `eventNames` = decode event ids. */
  constructor(verdictNames: readonly string[], eventNames: readonly string[]) {
    const r = this.registry;
    this.packets = r.counter('quell_packets_total', 'Packets processed');
    this.bytes = r.counter('quell_bytes_total', 'Bytes processed (wire length)');
    this.verdicts = r.fixedVec('quell_verdicts_total', 'Verdicts by kind', 'counter', 'verdict', verdictNames);
    this.alerts = r.dynamicVec('quell_alerts_total', 'Alerts by rule', 'counter', 'rule');
    this.decodeEvents = r.fixedVec('quell_decode_events_total', 'Decode events by name', 'counter', 'event', eventNames);
    this.queueDrops = r.counter('quell_queue_drops_total', 'Packets the kernel dropped from the NFQUEUE (queue full / ENOBUFS)');
    this.flowsActive = r.gauge('quell_flows_active', 'Flows in the flow table');
    this.flowsMax = r.gauge('quell_flows_max', 'Flow table capacity');
    this.batchSize = r.histogram('quell_batch_size', 'Packets per batch', BATCH_BUCKETS);
    this.verdictLatency = r.histogram('quell_verdict_latency_seconds', 'Time from batch receive to verdict sent', LATENCY_BUCKETS_S);
    this.setBlocked = r.counter('quell_set_blocked_total', 'Packets dropped by block sets and bans');
    this.setAllowed = r.counter('quell_set_allowed_total', 'Packets passed by the allowlist');
    this.actionsShed = r.counter('quell_actions_shed_total', 'Actions (exec/webhook) dropped: rate limit or full queue');
    this.actionsFailed = r.counter('quell_actions_failed_total', 'Actions that failed or timed out');
    this.outputShed = r.dynamicVec('quell_output_shed_total', 'Events dropped by an output that fell behind', 'counter', 'output', 64);
  }
}

/** Serve `registry` at http://host:port/metrics. Refuses non-loopback hosts unless `allowRemote`. */
export async function serveMetrics(registry: MetricsRegistry, port: number, host = '127.0.0.1', allowRemote = false): Promise<{ server: http.Server; port: number; close(): Promise<void> }> {
  const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
  if (!loopback && !allowRemote) throw new OpsConfigError(`metrics listen address ${host} is not loopback (pass allowRemote to expose metrics)`);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) { res.statusCode = 404; res.end('not found\n'); return; }
    const body = registry.render();
    res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => resolve()); });
  return {
    server, port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
