/**
 * Inline plumbing, end to end, as root in two network namespaces (client <-veth-> server):
 * real curl / dig clients, a real python http.server with its request log, rules installed by
 * `quell iptables --apply`, and `quell run` inside the server namespace.
 *
 * The verdicts here come from the marker engine (test/inline/fixtures/marker-engine.ts, loaded with
 * --engine-module): byte-pattern rules, so these tests pin the NFQUEUE side (drop, the reject path
 * through REPEAT + mark + kernel REJECT, replace with checksums, DNS drop, reload between batches)
 * independently of the rule language. rules.test.ts runs the same scenarios with real rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { NetnsPair, netnsAvailability, waitFor } from '../helpers/netns';
import { loadNfqAddon, NFQ_ADDON_ABI } from '../../src/io/nfqueue';
import { Quell, startQuell, startHttpServer, curl, tmpDir, applyIptables, MARKER_ENGINE, FIXTURES, lastStats, sleep, httpDnsScenario } from './helpers';

const avail = netnsAvailability();
const skip = avail.ok ? false : `skipped: ${avail.reason}`;

const RULES = [
  'drop /evil-drop',
  'reject /evil-reject',
  'replace REPLACE-ME-PLEASE REPLACED-BY-QUELL',
  'dnsblock blocked.example',
].join('\n') + '\n';

test('the native addon is built and loads (root runs need it)', { skip }, () => {
  const a = loadNfqAddon();
  assert.equal(typeof a.Queue, 'function');
  assert.equal(a.DESC_STRIDE, 12);
  assert.equal(a.ABI, NFQ_ADDON_ABI, 'the addon is built from these sources');
  assert.equal(typeof a.relax, 'function');
});

test('inline: benign passes, drop never reaches the server, reject resets within 1 s, replace rewrites, blocked DNS gets no answer', { skip, timeout: 120_000 }, async (t) => {
  const sc = await httpDnsScenario('plumb', 'p', 'rules.txt', RULES);
  const { dir, pair, rules, http } = sc;
  try {
    const q = await startQuell(pair, ['--queues', '0', '--rules', rules, '--engine-module', MARKER_ENGINE], dir);
    try {
      await t.test('benign HTTP request reaches the server and gets its answer', async () => {
        const r = curl(pair, `http://${pair.serverAddr}:8080/hello.txt`);
        assert.equal(r.exit, 0, r.stderr);
        assert.equal(r.code, '200');
        await waitFor(() => /hello\.txt/.test(http.log()), 2000);   // the log arrives through a pipe
        assert.match(http.log(), /"GET \/hello\.txt HTTP\/1\.1" 200/);
      });

      await t.test('a request matching a drop rule never reaches the server', async () => {
        const r = curl(pair, `http://${pair.serverAddr}:8080/evil-drop`, { maxTime: 2 });
        assert.notEqual(r.exit, 0, 'curl must fail: the request packet is dropped');
        assert.equal(r.exit, 28, `curl times out (exit 28), got ${r.exit}: ${r.stderr}`);
        await sleep(300);
        assert.doesNotMatch(http.log(), /evil-drop/, 'the server log must not show the dropped request');
      });

      await t.test('a reject rule gives the client a connection reset within 1 s', () => {
        const r = curl(pair, `http://${pair.serverAddr}:8080/evil-reject`, { maxTime: 3 });
        assert.equal(r.exit, 56, `curl: connection reset (exit 56), got ${r.exit}: ${r.stderr}`);
        assert.match(r.stderr, /reset/i);
        assert.ok(r.ms < 1000, `reset after ${r.ms} ms`);
        assert.doesNotMatch(http.log(), /evil-reject/);
      });

      await t.test('a replace rule changes the bytes the server receives (checksums fixed: the request is accepted)', async () => {
        const r = curl(pair, `http://${pair.serverAddr}:8080/x/REPLACE-ME-PLEASE`);
        assert.equal(r.exit, 0, r.stderr);
        await waitFor(() => /\/x\//.test(http.log()), 2000);
        assert.match(http.log(), /"GET \/x\/REPLACED-BY-QUELL HTTP\/1\.1" 404/);
        assert.doesNotMatch(http.log(), /REPLACE-ME-PLEASE/);
      });

      await t.test('DNS: an allowed name is answered, a blocked name gets no answer', async () => {
        const ok = pair.exec(pair.client, 'dig', [`@${pair.serverAddr}`, 'allowed.example', 'A', '+time=1', '+tries=1', '+short']);
        assert.equal(ok.status, 0, ok.stderr);
        assert.equal(ok.stdout.trim(), '10.199.1.1');
        const bad = pair.exec(pair.client, 'dig', [`@${pair.serverAddr}`, 'blocked.example', 'A', '+time=1', '+tries=1', '+short']);
        assert.equal(bad.status, 9, `dig: no reply (exit 9), got ${bad.status}: ${bad.stdout}`);
        await waitFor(() => /allowed\.example/.test(sc.dnsLog()), 2000);
        assert.match(sc.dnsLog(), /"allowed\.example"/);
        assert.doesNotMatch(sc.dnsLog(), /blocked\.example/, 'the query never reached the DNS server');
      });

      await t.test('stats events carry our verdict counters and the kernel counters', async () => {
        await sleep(1300);
        const s = lastStats(q);
        assert.ok(s, 'a stats event was written');
        const q0 = s!.inline.queues.find((x: any) => x.queue === 0);
        assert.ok(q0.packets > 10);
        assert.ok(q0.verdicts.drop >= 2, 'dropped request (and its retransmissions) + DNS query');
        assert.ok(q0.verdicts.reject >= 1);
        assert.ok(q0.verdicts.replaced >= 1);
        assert.equal(q0.verdicts.replace_refused, 0);
        assert.equal(q0.kernel.queue_dropped, 0);
        assert.equal(q0.kernel.user_dropped, 0);
        assert.equal(q0.send_errors, 0);
        assert.equal(q0.verdict_errors, 0, 'the kernel accepted every verdict message');
        assert.ok(q.events().some((e) => e.event_type === 'alert' && e.alert.action === 'replace'));
      });
    } finally {
      const code = await q.stop('SIGTERM');
      assert.equal(code, 0, `clean shutdown: ${q.stderr()}`);
      assert.match(q.stderr(), /stopped: verdicts flushed, queues unbound/);
      const fin = q.events().filter((e) => e.event_type === 'stats' && e.final);
      assert.equal(fin.length, 1, 'one final stats event');
      const k = fs.readFileSync('/proc/net/netfilter/nfnetlink_queue', 'utf8');   // our namespace: nothing of quell's
      assert.ok(typeof k === 'string');
      const after = pair.exec(pair.server, 'cat', ['/proc/net/netfilter/nfnetlink_queue']);
      assert.equal(after.stdout.trim(), '', 'queue unbound in the server namespace');
    }
  } finally {
    sc.done();
  }
});

/**
 * A client and a server namespace (`clients` client addresses), the python http.server, the rules
 * of `quell iptables --queues QUEUES --apply` and `quell run --queues QUEUES --engine-module
 * MARKER_ENGINE ...args`; `body` drives traffic and asserts; quell must then stop cleanly (exit 0)
 * and everything is removed.
 */
async function withInline(tag: string, clients: number, queues: string, args: string[], body: (pair: NetnsPair, q: Quell) => Promise<void>): Promise<void> {
  const dir = tmpDir(tag);
  const pair = NetnsPair.create(tag.slice(0, 1), clients);
  try {
    await startHttpServer(pair, dir);
    await applyIptables(pair, ['--queues', queues]);
    const q = await startQuell(pair, ['--queues', queues, '--engine-module', MARKER_ENGINE, ...args], dir);
    try {
      await body(pair, q);
    } finally {
      assert.equal(await q.stop('SIGINT'), 0);
    }
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Two queues (--queues 0:1) and `workers` workers: one request from each of 8 client addresses
 * (--queue-balance hashes the address pair only, with a random seed per boot: 8 addresses make
 * "all on one queue" a 1-in-128 event instead of 1-in-2 with two), every one answered; then the
 * last stats event and its queues by number go to `check`.
 */
async function twoQueues(tag: string, workers: number, check: (stats: any, byQ: Map<number, any>, q: Quell) => void | Promise<void>, extra: string[] = []): Promise<void> {
  await withInline(tag, 8, '0:1', ['--workers', String(workers), ...extra], async (pair, q) => {
    for (const a of pair.clientAddrs) {
      const r = curl(pair, `http://${pair.serverAddr}:8080/hello.txt`, { from: a });
      assert.equal(r.code, '200', `from ${a}: ${r.stderr}`);
    }
    await sleep(1300);
    const s = lastStats(q)!;
    assert.ok(s);
    await check(s, new Map<number, any>(s.inline.queues.map((x: any) => [x.queue, x])), q);
  });
}

test('inline: --queues 0:1 with two workers spreads traffic from several client addresses over both queues', { skip, timeout: 90_000 }, async () => {
  await twoQueues('q2w', 2, (s, byQ) => {
    assert.ok(byQ.get(0).packets > 0, 'queue 0 saw packets');
    assert.ok(byQ.get(1).packets > 0, 'queue 1 saw packets');
    assert.notEqual(byQ.get(0).worker, byQ.get(1).worker, 'each queue has its own worker');
    const engines = s.inline.engine as any[];
    assert.equal(engines.length, 2);
    for (const e of engines) assert.ok(e.marker.batches > 0, 'both workers inspected traffic');
    const total = byQ.get(0).packets + byQ.get(1).packets;
    assert.ok(total >= 8 * 6, `at least 6 packets per request (SYN, ACK, request, ... both directions), got ${total}`);
  });
});

test('inline: --queues 0:1 with one worker: the worker serves both queues and every request gets through', { skip, timeout: 90_000 }, async () => {
  // the worker's multi-queue loop (src/inline/worker.ts: non-blocking receives on each queue in
  // turn, then a short wait on one of them; each batch completed at once): one engine sees both
  // queues' packets, and every packet gets its verdict
  await twoQueues('w1q2', 1, (s, byQ) => {
    assert.ok(byQ.get(0).packets > 0 && byQ.get(1).packets > 0, 'both queues saw packets');
    assert.equal(byQ.get(0).worker, byQ.get(1).worker, 'one worker owns both queues');
    const engines = s.inline.engine as any[];
    assert.equal(engines.length, 1);
    const perQ = engines[0].marker.per_queue as Record<string, number>;
    assert.equal(perQ['0'], byQ.get(0).packets, 'the one engine inspected every packet of queue 0');
    assert.equal(perQ['1'], byQ.get(1).packets, 'and of queue 1');
    for (const x of byQ.values()) assert.equal(x.verdicts.accept, x.packets, `queue ${x.queue}: every packet got its verdict`);
  });
});

test('inline: kill -9 under traffic; with --queue-bypass new traffic flows again at once, without it it does not', { skip, timeout: 90_000 }, async () => {
  const dir = tmpDir('kill');
  const pair = NetnsPair.create('k');
  try {
    await startHttpServer(pair, dir);
    await applyIptables(pair, ['--queues', '0']);
    const q = await startQuell(pair, ['--queues', '0', '--engine-module', MARKER_ENGINE], dir);
    // traffic while it dies: a client loop of requests (bounded: 40 requests)
    const load = pair.spawn(pair.client, 'sh', ['-c', `for i in $(seq 1 40); do curl -s -o /dev/null --max-time 1 http://${pair.serverAddr}:8080/hello.txt; done`]);
    await sleep(300);
    q.proc.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const r = curl(pair, `http://${pair.serverAddr}:8080/hello.txt`, { maxTime: 2 });
    assert.equal(r.code, '200', `after kill -9 with --queue-bypass: ${r.stderr}`);
    assert.ok(Date.now() - t0 < 1500, 'at once');
    const k = pair.exec(pair.server, 'cat', ['/proc/net/netfilter/nfnetlink_queue']);
    assert.equal(k.stdout.trim(), '', 'the kernel released the queue with the dead process');
    load.kill('SIGKILL');

    // control: the same rules without --queue-bypass black-hole new traffic when nobody listens
    const rr = pair.exec(pair.server, process.execPath, [path.join(__dirname, '..', '..', '..', 'bin', 'quell.js'), 'iptables', '--family', '4', '--queues', '0', '--no-queue-bypass', '--apply']);
    assert.equal(rr.status, 0, rr.stderr);
    const r2 = curl(pair, `http://${pair.serverAddr}:8080/hello.txt`, { maxTime: 1 });
    assert.notEqual(r2.exit, 0, 'without --queue-bypass and without quell nothing passes');
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('inline: SIGHUP reload under steady load loses no packet; new rules apply, bad rules are refused and the old ones keep running', { skip, timeout: 120_000 }, async () => {
  const dir = tmpDir('hup');
  const pair = NetnsPair.create('h');
  try {
    await startHttpServer(pair, dir);
    const rules = path.join(dir, 'rules.txt');
    fs.writeFileSync(rules, 'drop /old-rule\n');
    await applyIptables(pair, ['--queues', '0']);
    // a deep queue so a scheduling stall of this shared 2-core machine cannot overflow it: the test is about reloads
    const q = await startQuell(pair, ['--queues', '0', '--rules', rules, '--engine-module', MARKER_ENGINE, '--queue-maxlen', '65536'], dir);
    try {
      assert.equal(curl(pair, `http://${pair.serverAddr}:8080/old-rule`, { maxTime: 1 }).exit, 28, 'old rule drops');
      const recv = pair.spawn(pair.server, process.execPath, [path.join(FIXTURES, 'udp-tools.js'), 'recv', '9000', '40']);
      let recvOut = '';
      recv.stdout!.on('data', (d) => { recvOut += String(d); });
      await sleep(300);
      const COUNT = 20000;
      const send = pair.spawn(pair.client, process.execPath, [path.join(FIXTURES, 'udp-tools.js'), 'send', pair.serverAddr, '9000', String(COUNT), '4000']);
      let sendOut = '';
      send.stdout!.on('data', (d) => { sendOut += String(d); });
      // three reloads during the ~5 s of load: two good, one bad in the middle
      for (const [i, text] of ['drop /new-rule\n', 'this is not a rule\n', 'drop /new-rule\ndrop /newer\n'].entries()) {
        await sleep(1200);
        fs.writeFileSync(rules, text);
        q.proc.kill('SIGHUP');
        if (i === 1) {
          await sleep(300);
          const refused = q.events().filter((e) => e.event_type === 'reload' && e.ok === false);
          assert.equal(refused.length, 1, 'the bad rules were refused');
          assert.match(q.stderr(), /has errors; the running rules stay/);
          assert.match(q.stderr(), /cannot parse "this is not a rule"/);
        }
      }
      for (let i = 0; i < 200 && !/received/.test(recvOut); i++) await sleep(100);
      const got = JSON.parse(recvOut.trim().split('\n').pop()!);
      assert.equal(JSON.parse(sendOut.trim().split('\n').pop()!).sent, COUNT);
      assert.equal(got.received, COUNT, 'every datagram sent during the reloads arrived');
      const okReloads = q.events().filter((e) => e.event_type === 'reload' && e.ok === true);
      assert.equal(okReloads.length, 2);
      // the new rules apply, the old one is gone
      assert.equal(curl(pair, `http://${pair.serverAddr}:8080/new-rule`, { maxTime: 1 }).exit, 28, 'new rule drops');
      assert.equal(curl(pair, `http://${pair.serverAddr}:8080/old-rule`, { maxTime: 2 }).code, '404', 'old rule no longer applies');
      await sleep(1300);
      const s = lastStats(q)!;
      const q0 = s.inline.queues[0];
      assert.equal(q0.kernel.queue_dropped, 0, 'kernel queue_dropped unchanged');
      assert.equal(q0.kernel.user_dropped, 0, 'kernel user_dropped unchanged');
      assert.equal(q0.id_gaps, 0, 'no packet id skipped');
      assert.equal(s.inline.generation, 2);
    } finally {
      assert.equal(await q.stop('SIGTERM'), 0);
    }
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('inline: flow offload: accept-flow and drop-flow keep the rest of the flow in the kernel; --bypass-after stops queueing long flows', { skip, timeout: 120_000 }, async (t) => {
  const dir = tmpDir('flow');
  const pair = NetnsPair.create('f');
  try {
    fs.writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(2 << 20, 0x61));
    const rules = path.join(dir, 'rules.txt');
    fs.writeFileSync(rules, 'acceptflow /big.bin?trusted\ndropflow /dropflow\n');
    const http = await startHttpServer(pair, dir);
    await applyIptables(pair, ['--queues', '0', '--bypass-after', '200000']);
    const q = await startQuell(pair, ['--queues', '0', '--rules', rules, '--engine-module', MARKER_ENGINE], dir);
    const packets = async () => { await sleep(1200); return lastStats(q)!.inline.queues[0]; };
    try {
      const p0 = (await packets()).packets;
      // 1. accept-flow on the request: the 2 MiB answer never reaches quell
      const r1 = curl(pair, `http://${pair.serverAddr}:8080/big.bin?trusted`, { maxTime: 10 });
      assert.equal(r1.code, '200', r1.stderr);
      const s1 = await packets();
      assert.equal(s1.verdicts.accept_flow, 1);
      const n1 = s1.packets - p0;
      assert.ok(n1 <= 6, `only the handshake and the request were queued, got ${n1}`);
      // 2. the same download without a flow verdict: queued until 200 kB (connbytes), then bypassed
      const r2 = curl(pair, `http://${pair.serverAddr}:8080/big.bin`, { maxTime: 10 });
      assert.equal(r2.code, '200', r2.stderr);
      const s2 = await packets();
      const n2 = s2.packets - s1.packets;
      assert.ok(n2 > n1, `queued until the byte threshold (${n2})`);
      assert.ok(n2 < 200, `not the whole 2 MiB transfer (${n2} packets)`);
      // 3. drop-flow: the request and all its retransmissions are dropped in the kernel after the first
      const r3 = curl(pair, `http://${pair.serverAddr}:8080/dropflow`, { maxTime: 3 });
      assert.equal(r3.exit, 28);
      const s3 = await packets();
      assert.equal(s3.verdicts.drop_flow, 1);
      const n3 = s3.packets - s2.packets;
      assert.ok(n3 <= 5, `retransmissions did not reach quell (${n3} packets queued)`);
      await sleep(200);
      assert.doesNotMatch(http.log(), /dropflow/);
      assert.equal(s3.loop_guard, 0);
      t.diagnostic(`queued packets: accept-flow download ${n1}, bypass-after download ${n2}, drop-flow request ${n3}`);
    } finally {
      assert.equal(await q.stop('SIGTERM'), 0);
    }
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('inline over IPv6 (ip6tables rules): benign passes, drop, reject resets, replace fixes the IPv6 TCP checksum', { skip, timeout: 90_000 }, async () => {
  const dir = tmpDir('v6');
  const pair = NetnsPair.create('6');
  try {
    const rules = path.join(dir, 'rules.txt');
    fs.writeFileSync(rules, RULES);
    const http = await startHttpServer(pair, dir, 8080, '::');
    await applyIptables(pair, ['--queues', '0', '--family', 'both']);
    const q = await startQuell(pair, ['--queues', '0', '--rules', rules, '--engine-module', MARKER_ENGINE], dir);
    const base = `http://[${pair.serverAddr6}]:8080`;
    try {
      const ok = curl(pair, `${base}/hello.txt`);
      assert.equal(ok.code, '200', ok.stderr);
      const drop = curl(pair, `${base}/evil-drop`, { maxTime: 2 });
      assert.equal(drop.exit, 28, drop.stderr);
      const rej = curl(pair, `${base}/evil-reject`, { maxTime: 3 });
      assert.equal(rej.exit, 56, rej.stderr);
      assert.ok(rej.ms < 1000, `${rej.ms} ms`);
      const rep = curl(pair, `${base}/x/REPLACE-ME-PLEASE`);
      assert.equal(rep.code, '404', rep.stderr);
      await waitFor(() => /REPLACED-BY-QUELL/.test(http.log()), 2000);
      assert.match(http.log(), new RegExp(`${pair.clientAddr6.replace(/:/g, ':')}.*"GET /x/REPLACED-BY-QUELL HTTP/1\\.1" 404`));
      await sleep(300);
      assert.doesNotMatch(http.log(), /evil-drop|evil-reject|REPLACE-ME-PLEASE/);
    } finally {
      assert.equal(await q.stop('SIGTERM'), 0);
    }
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('inline: userspace fan-out (--queues 0 --workers 2): one client, many flows, both engines inspect; drop and replace work on either side', { skip, timeout: 120_000 }, async (t) => {
  const dir = tmpDir('fan');
  const pair = NetnsPair.create('u');
  try {
    const rules = path.join(dir, 'rules.txt');
    fs.writeFileSync(rules, RULES);
    const http = await startHttpServer(pair, dir);
    await applyIptables(pair, ['--queues', '0']);
    const q = await startQuell(pair, ['--queues', '0', '--workers', '2', '--rules', rules, '--engine-module', MARKER_ENGINE], dir);
    try {
      assert.match(q.stderr(), /fan-out: 2 engines per queue/);
      const N = 8;
      for (let i = 0; i < N; i++) {
        assert.equal(curl(pair, `http://${pair.serverAddr}:8080/hello.txt?${i}`).code, '200');
        assert.equal(curl(pair, `http://${pair.serverAddr}:8080/r${i}/REPLACE-ME-PLEASE`).code, '404');
      }
      for (let i = 0; i < 4; i++) assert.equal(curl(pair, `http://${pair.serverAddr}:8080/evil-drop?${i}`, { maxTime: 1 }).exit, 28);
      await waitFor(() => (http.log().match(/REPLACED-BY-QUELL/g) ?? []).length === N, 3000);
      assert.equal((http.log().match(/"GET \/r\d\/REPLACED-BY-QUELL HTTP\/1\.1" 404/g) ?? []).length, N, 'every rewrite arrived, whichever engine did it');
      assert.doesNotMatch(http.log(), /REPLACE-ME-PLEASE|evil-drop/);
      await sleep(1300);
      const s = lastStats(q)!;
      const engines = (s.inline.engine as any[]).filter(Boolean);
      assert.equal(engines.length, 2);
      const batches = engines.map((e) => e.marker.batches);
      t.diagnostic(`batches per engine: ${batches.join(', ')}; fan-out counters ${JSON.stringify(s.inline.workers.map((w: any) => w.fanout ?? null))}`);
      for (const b of batches) assert.ok(b > 0, 'both engines inspected traffic');
      const fo = s.inline.workers.find((w: any) => w.fanout)!.fanout;
      assert.ok(fo.toHelpers > 0 && fo.ownPackets > 0, 'packets went both ways');
      assert.equal(fo.helperTimeouts, 0);
      const q0 = s.inline.queues[0];
      assert.equal(q0.verdict_errors, 0);
      assert.ok(q0.verdicts.replaced >= N);
    } finally {
      assert.equal(await q.stop('SIGTERM'), 0, q.stderr());
    }
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** CPU seconds (user + system, all threads) a process used during `ms` (from /proc/PID/stat). */
async function cpuDuring(pid: number, ms: number): Promise<number> {
  const tick = 100;   // USER_HZ: fixed at 100 for /proc on Linux
  const read = () => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / tick; };
  const a = read();
  await sleep(ms);
  return read() - a;
}

test('inline: --busy-poll with one queue: packets are taken while spinning (hits counted, every one verdicted); once traffic stops the worker sleeps', { skip, timeout: 90_000 }, async () => {
  // 20 ms: the packets of one curl exchange (SYN, ACK, request, ... answers) arrive within it
  await withInline('bp1', 2, '0', ['--busy-poll', '20000'], async (pair, q) => {
    for (let i = 0; i < 5; i++) assert.equal(curl(pair, `http://${pair.serverAddr}:8080/hello.txt`).code, '200');
    await sleep(1300);
    const s = lastStats(q)!;
    const x = s.inline.queues[0];
    assert.deepEqual(Object.keys(x.busy_poll).sort(), ['hits', 'spin_us', 'spins', 'window_us']);
    assert.equal(x.busy_poll.window_us, 20000);
    assert.ok(x.busy_poll.hits > 0, `receives served while spinning: ${JSON.stringify(x.busy_poll)}`);
    assert.ok(x.busy_poll.spin_us > 0);
    assert.equal(x.verdicts.accept, x.packets, 'every packet got its verdict');
    // idle: the window has long passed, so the worker blocks in recvmmsg (a spinner would use ~1 s)
    const cpu = await cpuDuring(q.proc.pid!, 1000);
    assert.ok(cpu < 0.3, `idle quell used ${cpu} s of CPU in 1 s`);
  });
});

test('inline: --busy-poll with one worker owning two queues: the worker spins over both, every packet verdicted, idle afterwards', { skip, timeout: 90_000 }, async () => {
  await twoQueues('bp2', 1, async (s, byQ, q) => {
    assert.ok(byQ.get(0).packets > 0 && byQ.get(1).packets > 0, 'both queues saw packets');
    for (const x of byQ.values()) {
      assert.equal(x.busy_poll, null, 'no native spin on one queue of several');
      assert.equal(x.verdicts.accept, x.packets, `queue ${x.queue}: every packet got its verdict`);
    }
    const w = s.inline.workers[0].busy_poll;
    assert.ok(w && w.spins > 0 && w.hits > 0, `the worker's own spin over both queues: ${JSON.stringify(w)}`);
    const cpu = await cpuDuring(q.proc.pid!, 1000);
    assert.ok(cpu < 0.3, `idle quell used ${cpu} s of CPU in 1 s`);
  }, ['--busy-poll', '20000']);
});

test('inline: --busy-poll with more receiving workers than CPUs warns at start (and not with as many workers as CPUs)', { skip, timeout: 90_000 }, async () => {
  const dir = tmpDir('bpw');
  const pair = NetnsPair.create('w');
  const cpus = os.availableParallelism();
  try {
    const over = await startQuell(pair, ['--queues', `0:${cpus}`, '--busy-poll', '1000', '--warmup', '0', '--engine-module', MARKER_ENGINE], dir);
    try {
      assert.match(over.stderr(), new RegExp(`warning: --busy-poll with ${cpus + 1} receiving workers on ${cpus} CPU`));
    } finally { assert.equal(await over.stop('SIGINT'), 0); }
    const fits = await startQuell(pair, ['--queues', `0:${cpus - 1}`, '--busy-poll', '1000', '--warmup', '0', '--engine-module', MARKER_ENGINE], dir);
    try {
      assert.doesNotMatch(fits.stderr(), /warning: --busy-poll/);
    } finally { assert.equal(await fits.stop('SIGINT'), 0); }
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
