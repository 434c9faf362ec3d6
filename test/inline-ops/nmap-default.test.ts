/**
 * The DEFAULT ruleset inline (issue 6): a real nmap SYN scan from a client namespace through
 * `quell run` (NFQUEUE in the server namespace) trips Net_Port_Scan_SYN (sid 1000010,
 * `scan.ports(window = 10s) > 50`) once and the scanner is banned everywhere (the shared ban set,
 * listed by `quell ctl`); a rule with `block src` but no `alert` verb also makes its ban shared (it
 * is reported, and the dispatcher bans from the report); time.* rules are defined inline
 * (--time-zone Europe/Paris); a client that is neither keeps working.
 * Root + namespaces + the NFQUEUE addon + nmap; skipped otherwise. Bounded: nmap 60 s, waits 5 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { NetnsPair, netnsAvailability, waitFor } from '../helpers/netns';
import { ROOT, runQuell } from '../helpers/paths';
import { startQuell, tmpDir } from '../inline/helpers';

const avail = netnsAvailability();
let addonOk = true;
try { require('../../src/io/nfqueue').loadNfqAddon(); } catch { addonOk = false; }
const nmapOk = spawnSync('nmap', ['--version']).status === 0;
const skip = !avail.ok ? avail.reason : !addonOk ? 'NFQUEUE addon not built' : !nmapOk ? 'nmap missing' : false;

/** A block-only rule appended to the default ruleset (no `alert` verb: the ban must still become shared). */
const BLOCK_ONLY = `
rule Test_Block_Only : test {
  meta:      sid = 9100001 rev = 1 msg = "SYN to 2323 (block only)"
  condition: tcp.dport == 2323 and tcp.flags == 0x02
  action:    block src for 5m
}
rule Test_Time_Defined : test {
  meta:      sid = 9100002 rev = 1 msg = "SYN to 2424 while the clock is defined"
  condition: tcp.dport == 2424 and tcp.flags == 0x02 and time.hour >= 0 and time.hour <= 23 and time.weekday <= 6 and time.minute <= 59
  action:    alert
}
`;

test('quell run + default ruleset: real nmap scan -> scan rule once -> shared ban; block-only rule -> shared ban', { skip, timeout: 150_000 }, async () => {
  const dir = tmpDir('nmapdef');
  const pair = NetnsPair.create('d', 3);
  const [scanner, blocked, bystander] = pair.clientAddrs;
  try {
    const rules = path.join(dir, 'rules');
    fs.writeFileSync(rules, fs.readFileSync(path.join(ROOT, 'signatures', 'rules', 'default.rules'), 'utf8') + BLOCK_ONLY);
    const sock = path.join(dir, 'run', 'quell.sock');
    const ipt = pair.exec(pair.server, 'iptables', ['-A', 'INPUT', '-i', pair.vethServer, '-j', 'NFQUEUE', '--queue-num', '13']);
    assert.equal(ipt.status, 0, ipt.stderr);
    fs.writeFileSync(path.join(dir, 'index.html'), 'ok\n');
    const web = pair.spawn(pair.server, 'python3', ['-m', 'http.server', '8080', '--bind', pair.serverAddr, '--directory', dir]);
    web.stdout!.resume(); web.stderr!.resume();
    const q = await startQuell(pair, ['--queues', '13', '--rules', rules, '--time-zone', 'Europe/Paris', '--control-socket', sock], dir);
    const curl = (from: string, port = 8080) => pair.exec(pair.client, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--interface', from, '-m', '2', `http://${pair.serverAddr}:${port}/index.html`], { timeoutMs: 10_000 }).stdout;
    const bans = (): string[] => {
      const r = runQuell(['ctl', '--socket', sock, 'set', 'list', 'bans']);
      try { return (JSON.parse(r.stdout).entries as { addr: string }[]).map((e) => e.addr); } catch { return []; }
    };
    try {
      for (const c of [scanner, blocked, bystander]) assert.ok(await waitFor(() => curl(c) === '200', 10_000, 200), `${c} reaches the web server before`);

      const r = pair.exec(pair.client, 'nmap', ['-n', '-Pn', '-sS', '-T4', '--max-retries', '0', '--max-rtt-timeout', '100ms', '-p', '1-400,8080', '-S', scanner, '-e', pair.vethClient, pair.serverAddr], { timeoutMs: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(await waitFor(() => bans().includes(scanner), 5000, 100), `scanner in the shared ban set: ${bans().join(',')}`);
      const alerts = q.events().filter((e) => e.event_type === 'alert' && e.alert?.signature_id === 1000010);
      assert.equal(alerts.length, 1, 'one alert: after it the ban drops the scanner before the rules');
      assert.equal(alerts[0].src_ip, scanner);
      assert.equal(q.events().filter((e) => e.event_type === 'alert' && e.alert?.signature_id === 1000011).length, 0, 'no SYN-flood alert for a 401-port scan');
      assert.notEqual(curl(scanner), '200', 'the banned scanner cannot connect');

      // block-only rule (no `alert` verb): the detector reports it anyway (every verb but
      // accept/mark reports), so the dispatcher makes the ban shared
      curl(blocked, 2323);
      assert.ok(await waitFor(() => bans().includes(blocked), 5000, 100), `block-only ban shared: ${bans().join(',')}`);
      assert.deepEqual(q.events().filter((e) => e.event_type === 'alert' && e.src_ip === blocked).map((e) => e.alert.signature_id), [9100001], 'the block-only rule is reported once');
      assert.notEqual(curl(blocked), '200', 'the block-only banned client cannot connect');

      // time.* inline (wall clock, --time-zone): defined, so the comparisons hold (undefined would not)
      curl(bystander, 2424);
      assert.ok(await waitFor(() => q.events().some((e) => e.event_type === 'alert' && e.alert?.signature_id === 9100002 && e.src_ip === bystander), 5000, 100), 'time.* rule fired inline');
      assert.equal(curl(bystander), '200', 'a client that neither scanned nor matched a block rule still connects');
      assert.ok(!bans().includes(bystander));
    } finally {
      assert.equal(await q.stop(), 0, q.stderr());
    }
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
