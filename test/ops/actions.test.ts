import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as http from 'http';
import { AddressInfo } from 'net';
import { ActionRunner, SUBMIT_QUEUED, SUBMIT_SHED_QUEUE, SUBMIT_SHED_RATE, checkAction, ActionResult } from '../../src/ops/actions';

const EVENT = {
  event_type: 'alert', tsNs: 1_763_683_200_123_000_000n, src_ip: '192.0.2.5', src_port: 40000, dest_ip: '198.51.100.9', dest_port: 80,
  proto: 'TCP', flow_id: 77, alert: { signature_id: 1001, signature: 'test rule', action: 'drop' },
};

function tmp(): string { return fs.mkdtempSync(path.join(os.tmpdir(), 'quell-actions-')); }

test('exec: argv without a shell, event JSON on stdin, QUELL_* environment', async () => {
  const d = tmp();
  try {
    const script = path.join(d, 'hook.sh');
    // the script records its argv, env and stdin
    fs.writeFileSync(script, '#!/bin/sh\nout="$1"; shift\nfor a in "$@"; do printf "ARG:%s\\n" "$a"; done > "$out"\nenv | grep ^QUELL_ | sort >> "$out"\nprintf "PATHSET:%s\\n" "${HOME:-none}" >> "$out"\ncat > "$out.stdin"\n', { mode: 0o755 });
    const out = path.join(d, 'out.txt');
    const r = new ActionRunner({ ratePerSec: 100, burst: 100 });
    const results: ActionResult[] = [];
    r.onResult = (x) => results.push(x);
    const code = r.submit('1001', { kind: 'exec', program: script, args: [out, 'a b', '$(touch pwned); rm -rf /nope', '*'] }, EVENT);
    assert.equal(code, SUBMIT_QUEUED);
    await r.idle();
    assert.equal(results.length, 1); assert.equal(results[0].ok, true, results[0].detail);
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    assert.deepEqual(lines.filter((l) => l.startsWith('ARG:')), ['ARG:a b', 'ARG:$(touch pwned); rm -rf /nope', 'ARG:*']);
    assert.ok(!fs.existsSync(path.join(process.cwd(), 'pwned')));
    assert.ok(lines.includes('QUELL_RULE_SID=1001'));
    assert.ok(lines.includes('QUELL_SRC_IP=192.0.2.5'));
    assert.ok(lines.includes('QUELL_DEST_PORT=80'));
    assert.ok(lines.includes('QUELL_RULE_ACTION=drop'));
    assert.ok(lines.includes('QUELL_TIMESTAMP=2025-11-21T00:00:00.123Z'));
    assert.ok(lines.includes('PATHSET:none'), 'quell environment (HOME) does not leak');
    const ev = JSON.parse(fs.readFileSync(out + '.stdin', 'utf8'));
    assert.equal(ev.alert.signature_id, 1001);
    assert.equal(ev.tsNs, '1763683200123000000', 'a bigint beyond 2^53 travels as a string');
    assert.equal(ev.timestamp, '2025-11-21T00:00:00.123Z');
    assert.equal(r.counters.succeeded, 1);
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});

test('exec failures counted: non-zero exit with stderr, missing program', async () => {
  const r = new ActionRunner({ ratePerSec: 100, burst: 100 });
  const results: ActionResult[] = [];
  r.onResult = (x) => results.push(x);
  r.submit('r1', { kind: 'exec', program: '/bin/sh', args: ['-c', 'echo boom >&2; exit 3'] }, EVENT);
  r.submit('r2', { kind: 'exec', program: '/nonexistent/quell-hook', args: [] }, EVENT);
  await r.idle();
  assert.equal(r.counters.failed, 2);
  const byRule = Object.fromEntries(results.map((x) => [x.rule, x]));
  assert.match(byRule.r1.detail, /exit 3: boom/);
  assert.match(byRule.r2.detail, /ENOENT/);
  assert.equal(r.ruleStats().r1.failed, 1);
});

test('a slow script never blocks submit: work is deferred, beyond the bound events are shed and counted, timeout kills', async () => {
  const r = new ActionRunner({ maxConcurrent: 2, maxQueue: 3, timeoutMs: 700, ratePerSec: 1000, burst: 1000 });
  const spec = { kind: 'exec' as const, program: '/bin/sleep', args: ['2'] };
  const codes: number[] = [];
  for (let i = 0; i < 50; i++) {
    const c = r.submit('slow', spec, { ...EVENT, n: i });
    assert.equal(typeof c, 'number', 'submit returns a plain code synchronously (no promise)');
    codes.push(c);
  }
  // nothing was spawned inside submit(): spawning happens after the caller's turn
  assert.equal(r.counters.started, 0);
  assert.equal(codes.filter((c) => c === SUBMIT_QUEUED).length, 3);
  assert.equal(codes.filter((c) => c === SUBMIT_SHED_QUEUE).length, 47);
  assert.equal(r.counters.shedQueue, 47);
  // while the sleepers run, submission keeps being immediate and bounded
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(r.counters.running, 2, 'concurrency bound');
  assert.equal(r.submit('slow', spec, EVENT), SUBMIT_QUEUED, 'a slot freed in the queue when 2 started');
  assert.equal(r.submit('slow', spec, EVENT), SUBMIT_QUEUED);
  assert.equal(r.submit('slow', spec, EVENT), SUBMIT_SHED_QUEUE);
  await r.idle();
  assert.equal(r.counters.started, 5);
  assert.equal(r.counters.timedOut, 5, 'each 2 s sleep killed at the 700 ms timeout');
  assert.equal(r.counters.failed, 5);
});

test('per-rule rate limit (token bucket) sheds and counts, other rules unaffected', async () => {
  let now = 1_000_000;
  const r = new ActionRunner({ ratePerSec: 1, burst: 2, clock: () => now });
  const spec = { kind: 'exec' as const, program: '/bin/true', args: [] };
  const got = [0, 1, 2, 3, 4].map(() => r.submit('noisy', spec, EVENT));
  assert.deepEqual(got, [SUBMIT_QUEUED, SUBMIT_QUEUED, SUBMIT_SHED_RATE, SUBMIT_SHED_RATE, SUBMIT_SHED_RATE]);
  assert.equal(r.submit('quiet', spec, EVENT), SUBMIT_QUEUED);
  now += 1000;
  assert.equal(r.submit('noisy', spec, EVENT), SUBMIT_QUEUED, 'one token back after 1 s');
  assert.equal(r.counters.shedRate, 3);
  assert.equal(r.ruleStats().noisy.shed, 3);
  await r.idle();
  assert.equal(r.counters.succeeded, 4);
});

test('webhook: a real HTTP receiver gets the event JSON; HTTP errors and timeouts are failures', async () => {
  const received: { url: string; ct: string; body: unknown }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', ct: String(req.headers['content-type']), body: JSON.parse(Buffer.concat(chunks).toString()) });
      if (req.url === '/fail') { res.statusCode = 500; res.end('no'); }
      else if (req.url === '/slow') setTimeout(() => res.end('late'), 1500);
      else res.end('ok');
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  try {
    const r = new ActionRunner({ ratePerSec: 100, burst: 100, timeoutMs: 500 });
    const results: ActionResult[] = [];
    r.onResult = (x) => results.push(x);
    r.submit('w1', { kind: 'webhook', url: `http://127.0.0.1:${port}/hook?x=1` }, EVENT);
    r.submit('w2', { kind: 'webhook', url: `http://127.0.0.1:${port}/fail` }, EVENT);
    r.submit('w3', { kind: 'webhook', url: `http://127.0.0.1:${port}/slow` }, EVENT);
    await r.idle();
    const ok = received.find((x) => x.url === '/hook?x=1')!;
    assert.equal(ok.ct, 'application/json');
    assert.equal((ok.body as { src_ip: string }).src_ip, '192.0.2.5');
    assert.equal((ok.body as { alert: { signature_id: number } }).alert.signature_id, 1001);
    const by = Object.fromEntries(results.map((x) => [x.rule, x]));
    assert.equal(by.w1.ok, true);
    assert.equal(by.w2.ok, false); assert.match(by.w2.detail, /HTTP 500/);
    assert.equal(by.w3.ok, false); assert.equal(by.w3.timedOut, true);
    assert.equal(r.counters.timedOut, 1);
  } finally { server.closeAllConnections(); await new Promise((res) => server.close(res)); }
});

test('checkAction validates at load time', () => {
  assert.throws(() => checkAction({ kind: 'webhook', url: 'file:///etc/passwd' }), /only http/);
  assert.throws(() => checkAction({ kind: 'webhook', url: 'not a url' }), /not a URL/);
  assert.throws(() => checkAction({ kind: 'exec', program: '', args: [] }));
  checkAction({ kind: 'webhook', url: 'https://example.invalid/x' });
});
