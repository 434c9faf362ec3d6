/**
 * `quell run` with the operations flags, end to end in network namespaces (root): a block list and
 * an allowlist, the scan rule from docs/operations.md, ban state, control API (`quell ctl`),
 * SQLite, Prometheus metrics and the pcap of drops, SIGHUP set reload, SIGTERM -> state saved.
 * Skipped when this build's `quell run` does not have the operations flags yet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { openReadOnly } from '../helpers/sqlite';
import { NetnsPair, netnsAvailability, waitFor } from '../helpers/netns';
import { runQuell } from '../helpers/paths';
import { startQuell, tmpDir } from '../inline/helpers';

const avail = netnsAvailability();
let addonOk = true;
try { require('../../src/io/nfqueue').loadNfqAddon(); } catch { addonOk = false; }
const help = runQuell(['run', '--help']);
const hasOps = help.stdout.includes('--set NAME=FILE');
const nmapOk = spawnSync('nmap', ['--version']).status === 0;
const skip = !avail.ok ? avail.reason : !addonOk ? 'NFQUEUE addon not built' : !hasOps ? 'quell run has no operations flags in this build' : !nmapOk ? 'nmap missing' : false;

const RULES = `
rule port_scan_syn : scan {
  meta:      sid = 9000001 rev = 1 msg = "port scan (SYN) from one source"
  condition: tcp.flags == 0x02 and count(by = src, window = 10s) > 100
  action:    alert; drop; block src for 10m
}
`;

test('quell run + operations flags: list, scan rule -> ban, ctl, SQLite, metrics, pcap of drops, SIGHUP, state', { skip, timeout: 180_000 }, async () => {
  const dir = tmpDir('runops');
  const pair = NetnsPair.create('r', 3);
  const [scanner, other, listed] = pair.clientAddrs;
  try {
    const rules = path.join(dir, 'scan.rules'); fs.writeFileSync(rules, RULES);
    const list = path.join(dir, 'drop.txt'); fs.writeFileSync(list, `# test list\n203.0.113.0/24\n${listed}\n`);
    const allow = path.join(dir, 'mgmt.txt'); fs.writeFileSync(allow, '192.0.2.250\n');
    const sock = path.join(dir, 'run', 'quell.sock');
    const state = path.join(dir, 'bans.json');
    const db = path.join(dir, 'events.db');
    const drops = path.join(dir, 'drops.pcap');
    const ipt = pair.exec(pair.server, 'iptables', ['-A', 'INPUT', '-i', pair.vethServer, '-j', 'NFQUEUE', '--queue-num', '5']);
    assert.equal(ipt.status, 0, ipt.stderr);
    const web = pair.spawn(pair.server, 'python3', ['-m', 'http.server', '8080', '--bind', pair.serverAddr, '--directory', dir]);
    web.stdout!.resume(); web.stderr!.resume();
    const q = await startQuell(pair, ['--queues', '5', '--rules', rules, '--set', `drop=${list}`, '--allow', allow, '--ban-state', state,
      '--control-socket', sock, '--sqlite', db, '--metrics-port', '9977', '--pcap-drops', drops], dir);
    const curl = (from: string) => pair.exec(pair.client, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--interface', from, '-m', '2', `http://${pair.serverAddr}:8080/mgmt.txt`], { timeoutMs: 10_000 }).stdout;
    const ctl = (...args: string[]) => runQuell(['ctl', '--socket', sock, ...args]);
    try {
      assert.ok(await waitFor(() => curl(other) === '200', 10_000, 200), 'unlisted client reaches the web server');
      assert.notEqual(curl(listed), '200', 'listed client blocked');

      const r = pair.exec(pair.client, 'nmap', ['-n', '-Pn', '-sS', '-T4', '--max-retries', '0', '--max-rtt-timeout', '100ms', '-p', '1-600', '-S', scanner, '-e', pair.vethClient, pair.serverAddr], { timeoutMs: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(await waitFor(() => JSON.parse(ctl('set', 'list', 'bans').stdout || '{"entries":[]}').entries.some((e: { addr: string }) => e.addr === scanner), 5000, 100), 'scanner banned (shared, listed by quell ctl)');
      assert.notEqual(curl(scanner), '200', 'the banned scanner cannot connect');
      const alerts = q.events().filter((e) => e.alert?.rule === 'port_scan_syn');
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0].src_ip, scanner);
      assert.ok(await waitFor(() => {
        try { const d = openReadOnly(db); try { return (d.get('SELECT count(*) n FROM alerts WHERE sid = 9000001') as { n: number }).n === 1; } finally { d.close(); } } catch { return false; }
      }, 5000, 100), 'alert row in SQLite');

      // API ban of another client: its next request fails
      const add = ctl('set', 'add', 'bans', other, '--timeout', '10m');
      assert.equal(add.status, 0, add.stderr);
      assert.notEqual(curl(other), '200');
      assert.equal(ctl('set', 'del', 'bans', other).status, 0);
      assert.equal(curl(other), '200', 'removed: passes again');

      // rules with hit counts through the API
      const rl = JSON.parse(ctl('rules').stdout).rules;
      const sr = rl.find((x: { name: string }) => x.name === 'port_scan_syn');
      assert.equal(sr.sid, 9000001);
      assert.ok(sr.hits >= 1, `rule hits: ${JSON.stringify(sr)}`);
      // metrics (loopback of the server namespace)
      assert.ok(await waitFor(() => /quell_set_blocked_total [1-9]/.test(pair.exec(pair.server, 'curl', ['-s', 'http://127.0.0.1:9977/metrics']).stdout), 5000, 250), 'metrics count blocked packets');
      const metrics = pair.exec(pair.server, 'curl', ['-s', 'http://127.0.0.1:9977/metrics']).stdout;
      assert.match(metrics, /^quell_alerts_total\{rule="9000001"\} 1$/m);

      // SIGHUP: the list file changes, the listed client passes
      fs.writeFileSync(list, '203.0.113.0/24\n');
      q.proc.kill('SIGHUP');
      assert.ok(await waitFor(() => curl(listed) === '200', 5000, 200), 'set reloaded on SIGHUP');
    } finally {
      assert.equal(await q.stop(), 0, q.stderr());
    }
    const saved = JSON.parse(fs.readFileSync(state, 'utf8'));
    assert.ok(saved.tables.bans.some((e: [string, number]) => e[0] === scanner), 'ban persisted at shutdown');
    const t = spawnSync('tshark', ['-r', drops, '-T', 'fields', '-e', 'ip.src'], { encoding: 'utf8' });
    if (t.status === 0) {
      const srcs = new Set(t.stdout.trim().split('\n'));
      assert.ok(srcs.has(scanner) && srcs.has(listed), `dropped packets in the pcap: ${[...srcs].join(',')}`);
    }
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
