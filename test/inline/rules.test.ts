/**
 * Inline with the real engine (src/engine/pipeline.ts) and real rules (signatures/ compiler +
 * matcher through src/engine/detect.ts compileForEngine), as root in two network namespaces: the same
 * scenarios as plumbing.test.ts, decided by rules written in the Quell rule language.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { NetnsPair, netnsAvailability, waitFor } from '../helpers/netns';
import { startQuell, startHttpServer, curl, tmpDir, applyIptables, FIXTURES, lastStats, sleep, httpDnsScenario } from './helpers';
import { rulesCompilerAvailable } from '../../src/inline/engine-host';
import { QUELL_BIN } from '../helpers/paths';

const avail = netnsAvailability();
const skip = avail.ok ? (rulesCompilerAvailable() ? false : 'skipped: no rule compiler adapter for the engine') : `skipped: ${avail.reason}`;

const RULES = `
rule evil_drop {
  meta:
    msg = "request for /evil-drop"
  strings:
    $a = "/evil-drop"
  condition:
    $a and tcp.dport == 8080
  action: drop
}
rule evil_reject {
  strings:
    $a = "/evil-reject"
  condition:
    $a
  action: reject
}
rule rewrite_marker {
  strings:
    $a = "REPLACE-ME-PLEASE"
  condition:
    $a
  action: replace $a with "REPLACED-BY-QUELL"
}
rule http_field_drop {
  condition:
    http.uri contains "/app-layer-drop"
  action: drop
}
rule dns_field_drop {
  condition:
    dns.query == "blocked2.example"
  action: drop
}
rule dns_block {
  strings:
    $d = "\\x07blocked\\x07example"
  condition:
    $d and udp.dport == 53
  action: drop
}
`;

test('inline with real rules: benign passes (with http events), drop, reject < 1 s, replace, DNS block; bad rules are refused at start and on reload', { skip, timeout: 120_000 }, async (t) => {
  const sc = await httpDnsScenario('rules', 'r', 'rules.ql', RULES);
  const { dir, pair, rules, http } = sc;
  try {

    await t.test('a rules file with errors is refused at start with the compiler diagnostics (exit 1)', () => {
      const bad = path.join(dir, 'bad.ql');
      fs.writeFileSync(bad, 'rule x { condition: nope action: drop }\n');
      const r = pair.exec(pair.server, process.execPath, [QUELL_BIN, 'run', '--queues', '0', '--rules', bad], { timeoutMs: 20_000 });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /error\[E016\]: undefined identifier `nope`/);
      assert.match(r.stderr, /QUELL_E_RULES/);
    });

    const q = await startQuell(pair, ['--queues', '0', '--rules', rules, '--max-flows', '5000', '--warmup', '2000'], dir);
    try {
      await t.test('benign request passes; the engine logs its HTTP transaction', async () => {
        const r = curl(pair, `http://${pair.serverAddr}:8080/hello.txt`);
        assert.equal(r.code, '200', r.stderr);
        await waitFor(() => /hello\.txt/.test(http.log()), 2000);
        assert.match(http.log(), /"GET \/hello\.txt HTTP\/1\.1" 200/);
      });
      await t.test('drop rule: the request never reaches the server; an alert names the rule', async () => {
        const r = curl(pair, `http://${pair.serverAddr}:8080/evil-drop`, { maxTime: 2 });
        assert.equal(r.exit, 28, r.stderr);
        await sleep(300);
        assert.doesNotMatch(http.log(), /evil-drop/);
        await waitFor(() => q.events().some((e) => e.event_type === 'alert' && e.alert.rule === 'evil_drop'), 2000);
        const a = q.events().find((e) => e.event_type === 'alert' && e.alert.rule === 'evil_drop');
        assert.ok(a, 'alert event');
        assert.equal(a!.alert.signature, 'request for /evil-drop');
        assert.equal(a!.dest_port, 8080);
      });
      await t.test('reject rule: connection reset within 1 s', () => {
        const r = curl(pair, `http://${pair.serverAddr}:8080/evil-reject`, { maxTime: 3 });
        assert.equal(r.exit, 56, r.stderr);
        assert.ok(r.ms < 1000, `${r.ms} ms`);
      });
      await t.test('replace rule: the server receives the rewritten bytes', async () => {
        const r = curl(pair, `http://${pair.serverAddr}:8080/x/REPLACE-ME-PLEASE`);
        assert.equal(r.exit, 0, r.stderr);
        await waitFor(() => /\/x\//.test(http.log()), 2000);
        assert.match(http.log(), /"GET \/x\/REPLACED-BY-QUELL HTTP\/1\.1" 404/);
      });
      await t.test('DNS: blocked name gets no answer, allowed name does', async () => {
        const ok = pair.exec(pair.client, 'dig', [`@${pair.serverAddr}`, 'allowed.example', '+time=1', '+tries=1', '+short']);
        assert.equal(ok.stdout.trim(), '10.199.1.1', ok.stderr);
        const bad = pair.exec(pair.client, 'dig', [`@${pair.serverAddr}`, 'blocked.example', '+time=1', '+tries=1', '+short']);
        assert.equal(bad.status, 9, bad.stdout);
        await waitFor(() => /allowed/.test(sc.dnsLog()), 2000);
        assert.doesNotMatch(sc.dnsLog(), /blocked/);
      });
      let appFields = true;
      try { require.resolve('../../src/engine/detect'); } catch { appFields = false; }
      const noApp = appFields ? false : 'the packet-level adapter has no http.*/dns.* fields';
      await t.test('app-layer field: a dns.query rule drops the query', { skip: noApp }, async () => {
        const bad = pair.exec(pair.client, 'dig', [`@${pair.serverAddr}`, 'blocked2.example', '+time=1', '+tries=1', '+short']);
        assert.equal(bad.status, 9, bad.stdout);
        await sleep(200);
        assert.doesNotMatch(sc.dnsLog(), /blocked2/);
      });
      await t.test('SIGHUP with broken rules: refused with diagnostics, old rules keep running; fixed rules swap in', async () => {
        fs.writeFileSync(rules, RULES + '\nrule broken { condition: $missing }\n');
        q.proc.kill('SIGHUP');
        await waitFor(() => q.events().some((e) => e.event_type === 'reload'), 5000);
        const ev = q.events().filter((e) => e.event_type === 'reload');
        assert.equal(ev.length, 1);
        assert.equal(ev[0].ok, false);
        assert.match(q.stderr(), /has errors; the running rules stay/);
        assert.equal(curl(pair, `http://${pair.serverAddr}:8080/evil-drop`, { maxTime: 1 }).exit, 28, 'old rules still drop');
        fs.writeFileSync(rules, RULES.replaceAll('/evil-drop', '/evil-two'));
        q.proc.kill('SIGHUP');
        await waitFor(() => q.events().filter((e) => e.event_type === 'reload').length === 2, 5000);
        const ev2 = q.events().filter((e) => e.event_type === 'reload')[1];
        assert.equal(ev2.ok, true, JSON.stringify(ev2));
        assert.equal(curl(pair, `http://${pair.serverAddr}:8080/evil-two`, { maxTime: 1 }).exit, 28, 'new rule drops');
        assert.equal(curl(pair, `http://${pair.serverAddr}:8080/evil-drop`, { maxTime: 2 }).code, '404', 'old rule gone');
      });
      await t.test('the engine wrote http and flow events; stats show the verdicts', async () => {
        await sleep(1300);
        const evs = q.events();
        assert.ok(evs.some((e) => e.event_type === 'http' && JSON.stringify(e.http).includes('/hello.txt')), 'http event for /hello.txt');
        const s = lastStats(q)!;
        const q0 = s.inline.queues[0];
        assert.ok(q0.verdicts.drop >= 2);
        assert.ok(q0.verdicts.reject >= 1);
        assert.ok(q0.verdicts.replaced >= 1);
        assert.equal(q0.verdict_errors, 0);
        assert.equal(s.inline.engine.length, 1);
        // --max-flows reached the worker's engine; --warmup ran before binding (docs/inline.md)
        assert.equal(s.inline.engine[0].flow.memcap_flows, 5000);
        assert.ok(s.inline.workers[0].warmup.packets >= 2000, JSON.stringify(s.inline.workers[0].warmup));
      });
    } finally {
      assert.equal(await q.stop('SIGTERM'), 0, q.stderr());
    }
  } finally {
    sc.done();
  }
});

test('inline: quell run --bypass-after (user space, real engine): a long download leaves the queue after the threshold', { skip, timeout: 90_000 }, async (t) => {
  const dir = tmpDir('bypass');
  const pair = NetnsPair.create('y');
  try {
    fs.writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(4 << 20, 0x62));
    await startHttpServer(pair, dir);
    await applyIptables(pair, ['--queues', '0']);   // no connbytes rule: the bypass is quell's
    const q = await startQuell(pair, ['--queues', '0', '--bypass-after', '300000'], dir);
    try {
      const r = curl(pair, `http://${pair.serverAddr}:8080/big.bin`, { maxTime: 15 });
      assert.equal(r.code, '200', r.stderr);
      await sleep(1300);
      const q0 = lastStats(q)!.inline.queues[0];
      // packets already queued when the first accept-flow took effect get one too
      assert.ok(q0.verdicts.accept_flow >= 1 && q0.verdicts.accept_flow <= 20, `accept-flow verdicts: ${q0.verdicts.accept_flow}`);
      assert.ok(q0.packets < 100, `the 4 MiB download was not queued in full (${q0.packets} packets queued)`);
      t.diagnostic(`packets queued for a 4 MiB download with --bypass-after 300000: ${q0.packets} (accept-flow verdicts ${q0.verdicts.accept_flow})`);
    } finally {
      assert.equal(await q.stop('SIGTERM'), 0);
    }
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// A drop decided on stream/app data takes the whole TCP flow (docs/detection.md): the request's
// bytes were already consumed by the HTTP parser, so a retransmission would carry no new stream
// data and match nothing; without the flow drop the server would get the request after all.
let appFields = true;
try { require.resolve('../../src/engine/detect'); } catch { appFields = false; }
test('inline with real rules: an http.uri (app-layer) drop rule keeps the request from the server',
  { skip: skip || (appFields ? false : 'no app-layer fields'), timeout: 60_000 }, async () => {
    const dir = tmpDir('app');
    const pair = NetnsPair.create('a');
    try {
      const rules = path.join(dir, 'rules.ql');
      fs.writeFileSync(rules, 'rule http_field_drop {\n  condition:\n    http.uri contains "/app-layer-drop"\n  action: drop\n}\n');
      const http = await startHttpServer(pair, dir);
      await applyIptables(pair, ['--queues', '0']);
      const q = await startQuell(pair, ['--queues', '0', '--rules', rules], dir);
      try {
        const r = curl(pair, `http://${pair.serverAddr}:8080/app-layer-drop`, { maxTime: 2 });
        await sleep(300);
        assert.ok(q.events().some((e) => e.event_type === 'alert' && e.alert.action === 'blocked'), 'the engine blocked the request packet');
        assert.equal(r.exit, 28, 'the request never gets an answer');
        assert.doesNotMatch(http.log(), /app-layer-drop/, 'the server never sees it');
      } finally {
        assert.equal(await q.stop('SIGTERM'), 0);
      }
    } finally {
      pair.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
