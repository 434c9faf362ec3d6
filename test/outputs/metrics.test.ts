import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'http';
import { QuellMetrics, serveMetrics, MetricsRegistry } from '../../src/outputs/metrics';
import { EVENT_NAMES } from '../../decoders/events';

/** A small independent parser of the Prometheus text format (samples + HELP/TYPE). */
function parseProm(text: string): { types: Map<string, string>; samples: { name: string; labels: Record<string, string>; value: number }[] } {
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# TYPE ')) { const [, , n, t] = line.split(' '); types.set(n, t); continue; }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `bad line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2].replace(/\\"/g, '"').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
    const v = m[4] === '+Inf' ? Infinity : Number(m[4]);
    assert.ok(!Number.isNaN(v), line);
    samples.push({ name: m[1], labels, value: v });
  }
  return { types, samples };
}

function get(port: number, p: string): Promise<{ status: number; ct: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve({ status: res.statusCode ?? 0, ct: String(res.headers['content-type']), body: b }));
    }).on('error', reject);
  });
}

test('quell metrics over HTTP parse as Prometheus text with the values the engine set', async () => {
  const m = new QuellMetrics(['drop', 'accept', 'reject', 'queue', 'repeat'], EVENT_NAMES);
  // what the engine does per packet / per batch: plain number updates
  for (let i = 0; i < 1000; i++) { m.packets.v++; m.bytes.v += 100; m.verdicts.v[i % 10 === 0 ? 0 : 1]++; }
  const a = m.alerts.child('1001'); a.v += 7; m.alerts.child('2002').v++;
  m.alerts.child('we"ird\\rule').v++;
  const ev = EVENT_NAMES.indexOf('ipv4.bad_checksum'); m.decodeEvents.v[ev] += 3;
  m.queueDrops.v += 2;
  let flows = 123;
  (m.flowsActive as { v: number }).v = flows; flows++;
  for (const x of [0.000005, 0.00003, 0.00003, 0.002, 1]) m.verdictLatency.observe(x);
  for (const x of [1, 64, 64, 1000, 5000]) m.batchSize.observe(x);
  const srv = await serveMetrics(m.registry, 0);
  try {
    const r = await get(srv.port, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.ct, /^text\/plain; version=0\.0\.4/);
    const { types, samples } = parseProm(r.body);
    const val = (name: string, labels: Record<string, string> = {}) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    assert.equal(types.get('quell_packets_total'), 'counter');
    assert.equal(types.get('quell_verdict_latency_seconds'), 'histogram');
    assert.equal(val('quell_packets_total'), 1000);
    assert.equal(val('quell_bytes_total'), 100000);
    assert.equal(val('quell_verdicts_total', { verdict: 'drop' }), 100);
    assert.equal(val('quell_verdicts_total', { verdict: 'accept' }), 900);
    assert.equal(val('quell_alerts_total', { rule: '1001' }), 7);
    assert.equal(val('quell_alerts_total', { rule: 'we"ird\\rule' }), 1, 'label escaping round-trips');
    assert.equal(val('quell_decode_events_total', { event: 'ipv4.bad_checksum' }), 3);
    assert.equal(val('quell_queue_drops_total'), 2);
    assert.equal(val('quell_flows_active'), 123);
    // histogram: cumulative buckets, +Inf = count
    assert.equal(val('quell_verdict_latency_seconds_bucket', { le: '0.00001' }), 1);
    assert.equal(val('quell_verdict_latency_seconds_bucket', { le: '0.00005' }), 3);
    assert.equal(val('quell_verdict_latency_seconds_bucket', { le: '0.0025' }), 4);
    assert.equal(val('quell_verdict_latency_seconds_bucket', { le: '+Inf' }), 5);
    assert.equal(val('quell_verdict_latency_seconds_count'), 5);
    assert.ok(Math.abs(val('quell_verdict_latency_seconds_sum')! - 1.002065) < 1e-9);
    assert.equal(val('quell_batch_size_bucket', { le: '63' }), 1);
    assert.equal(val('quell_batch_size_bucket', { le: '127' }), 3);
    assert.equal(val('quell_batch_size_bucket', { le: '+Inf' }), 5);
    // buckets are monotonic
    const b = samples.filter((s) => s.name === 'quell_batch_size_bucket').map((s) => s.value);
    for (let i = 1; i < b.length; i++) assert.ok(b[i] >= b[i - 1]);
    assert.equal((await get(srv.port, '/nope')).status, 404);
  } finally { await srv.close(); }
});

test('registry: collected gauges, label cap goes to "other", bad names and non-loopback refused', async () => {
  const r = new MetricsRegistry();
  let n = 5;
  r.gauge('x_live', 'live', () => n);
  const d = r.dynamicVec('x_by', 'by key', 'counter', 'k', 2);
  d.child('a').v++; d.child('b').v++; d.child('c').v++; d.child('d').v++;
  n = 9;
  const text = r.render();
  assert.match(text, /^x_live 9$/m);
  assert.match(text, /^x_by\{k="other"\} 2$/m);
  assert.throws(() => r.counter('bad-name', 'x'));
  assert.throws(() => r.counter('x_live', 'dup'));
  await assert.rejects(serveMetrics(r, 0, '0.0.0.0'), /not loopback/);
});
