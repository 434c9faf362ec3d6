import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHist } from './latency';
import { LATENCY_BUCKETS_S, Histogram } from '../outputs/metrics';

test('LatencyHist: one observation per packet of a batch, in the bucket of the measured time', async () => {
  const h = new LatencyHist();
  h.start();
  h.stop(5);                       // microseconds at most: first bucket(s)
  h.start();
  await new Promise((r) => setTimeout(r, 30));
  h.stop(3);                       // >= 30 ms: the 0.1 s bucket (0.025 < x <= 0.1) or +Inf on a very slow machine
  const s = h.snapshot();
  assert.deepEqual(s.bounds, LATENCY_BUCKETS_S);
  assert.equal(s.counts.length, LATENCY_BUCKETS_S.length + 1);
  assert.equal(s.count, 8);
  assert.equal(s.counts.reduce((a, b) => a + b, 0), 8);
  const i25ms = LATENCY_BUCKETS_S.indexOf(0.025);
  assert.equal(s.counts.slice(i25ms + 1).reduce((a, b) => a + b, 0), 3, `the slow batch's 3 packets above 25 ms: ${s.counts}`);
  assert.equal(s.counts.slice(0, i25ms + 1).reduce((a, b) => a + b, 0), 5);
  assert.ok(s.sum >= 3 * 0.029 && s.sum < 3 * 5, `sum ${s.sum}`);
  // the snapshot is a copy
  h.start(); h.stop(1);
  assert.equal(s.count, 8);
  assert.equal(h.snapshot().count, 9);
});

test('LatencyHist buckets render as a cumulative Prometheus histogram', () => {
  const h = new LatencyHist();
  for (let i = 0; i < 10; i++) { h.start(); h.stop(i + 1); }
  const s = h.snapshot();
  const p = new Histogram('x_seconds', 'x', s.bounds);
  p.counts.set(s.counts); p.sum = s.sum; p.count = s.count;
  const out: string[] = [];
  p.render(out);
  const cum = out.filter((l) => l.startsWith('x_seconds_bucket')).map((l) => Number(l.split(' ')[1]));
  for (let i = 1; i < cum.length; i++) assert.ok(cum[i] >= cum[i - 1]);
  assert.equal(cum[cum.length - 1], 55);
  assert.ok(out.includes('x_seconds_count 55'));
});

test('OpsMain.onRunnerStats sums the workers\' verdict_latency into quell_verdict_latency_seconds (set, not added)', async () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { OpsMain } = require('../ops/host') as typeof import('../ops/host');
  const ops = await OpsMain.start({ controlSocket: null });
  try {
    const a = new LatencyHist(), b = new LatencyHist();
    for (let i = 0; i < 5; i++) { a.start(); a.stop(10); }
    b.start(); await new Promise((r) => setTimeout(r, 30)); b.stop(4);
    const ev = { event_type: 'stats', inline: { queues: [], engine: [], eve_file: { written: 9, shed: 2, bytes: 900, errors: 0 },
      workers: [{ index: 0, verdict_latency: a.snapshot() }, { index: 1, verdict_latency: b.snapshot() }, { index: 2, helper: true, verdict_latency: null }] } };
    ops.onRunnerStats(ev);
    ops.onRunnerStats(ev);
    const text = ops.metrics.registry.render();
    assert.match(text, /^quell_verdict_latency_seconds_count 54$/m);
    assert.match(text, /^quell_verdict_latency_seconds_bucket\{le="\+Inf"\} 54$/m);
    assert.match(text, /^quell_verdict_latency_seconds_bucket\{le="0.025"\} 50$/m, 'the 30 ms batch of 4 packets is above 25 ms');
    const sum = Number(/^quell_verdict_latency_seconds_sum (\S+)$/m.exec(text)![1]);
    assert.ok(Math.abs(sum - (a.snapshot().sum + b.snapshot().sum)) < 1e-12);
    assert.match(text, /^quell_output_shed_total\{output="eve_file"\} 2$/m);
  } finally { await ops.close(); }
});
