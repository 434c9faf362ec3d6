/**
 * Inline operations in network namespaces (root): a 100k-network list blocks an address inside a
 * listed network; an nmap SYN scan from the client namespace trips the scan rule and bans the
 * scanner (shared ban, visible in the API, persisted); a source added through the control API is
 * dropped from its next packet (the delay is measured and printed).
 *
 * Runs test/inline-ops/ops-host.js (the ops layer wired as the runner will wire it) in the server
 * namespace on NFQUEUE; iptables there queues everything arriving on the veth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { NetnsPair, netnsAvailability, waitFor } from '../helpers/netns';
import { ControlClient } from '../../src/control/client';
import { generate } from '../../bench/sets/bench-sets';
import { mask4, parseIPv4 } from '../../src/ops/addr';
import { openReadOnly } from '../helpers/sqlite';

const avail = netnsAvailability();
let addonOk = true;
try { require('../../src/io/nfqueue').loadNfqAddon(); } catch { addonOk = false; }
const nmapOk = spawnSync('nmap', ['--version']).status === 0;
const skip = !avail.ok ? avail.reason : !addonOk ? 'NFQUEUE addon not built' : false;

const HOST = path.join(__dirname, 'ops-host.js');
const SCAN_LIMIT = 100;
/** The scan rule proposed for the default ruleset (docs/operations.md), compiled by the real compiler. */
const RULES = `
rule port_scan_syn : scan {
  meta:      sid = 9000001 rev = 1 msg = "port scan (SYN) from one source"
  condition: tcp.flags == 0x02 and count(by = src, window = 10s) > ${SCAN_LIMIT}
  action:    alert; drop; block src for 10m
}
`;

test('inline ops: 100k list, nmap scan -> rule + ban, API ban from the next packet', { skip, timeout: 180_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-inline-ops-'));
  const pair = NetnsPair.create('o', 3); // clients 10.199.1.2 (scanner), .3 (API ban), .4 (listed)
  const [scanner, timed, listed] = pair.clientAddrs;
  try {
    // 100,000 generated networks + one covering the listed client; none may cover the other clients
    const { nets } = generate(100_000);
    const keep: string[] = [];
    const others = [scanner, timed, pair.serverAddr].map(parseIPv4);
    for (let i = 0; i < nets.length / 2; i++) {
      const a = nets[2 * i], len = nets[2 * i + 1];
      if (others.some((o) => mask4(o, len) === a)) continue;
      keep.push(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`);
    }
    keep.splice(54_321, 0, `${listed.split('.').slice(0, 3).join('.')}.4/30`);
    const listFile = path.join(dir, 'drop.txt');
    fs.writeFileSync(listFile, '# generated\n' + keep.join('\n') + '\n');
    const allowFile = path.join(dir, 'mgmt.txt');
    fs.writeFileSync(allowFile, '192.0.2.250\n');
    const sock = path.join(dir, 'run', 'quell.sock');
    const eventsFile = path.join(dir, 'events.json');
    const stateFile = path.join(dir, 'bans.json');
    const sqliteFile = path.join(dir, 'events.db');
    const cfg = { queue: 7, socket: sock, listFile, allowFile, stateFile, eventsFile, sqliteFile, watch: [scanner, timed, listed], timed, rulesText: RULES };

    const ipt = pair.exec(pair.server, 'iptables', ['-A', 'INPUT', '-i', pair.vethServer, '-j', 'NFQUEUE', '--queue-num', '7']);
    assert.equal(ipt.status, 0, ipt.stderr);
    const host = pair.spawn(pair.server, process.execPath, [HOST, JSON.stringify(cfg)]);
    let err = '';
    host.stderr!.on('data', (d) => { err += String(d); });
    host.stdout!.resume();
    assert.ok(await waitFor(() => err.includes('ready:') || host.exitCode !== null, 60_000, 25), `harness did not start within 60 s (exit ${host.exitCode}): ${err}`);
    assert.equal(host.exitCode, null, err);
    const api = new ControlClient({ socket: sock });
    // a web server in the server namespace
    const web = pair.spawn(pair.server, 'python3', ['-m', 'http.server', '8080', '--bind', pair.serverAddr, '--directory', dir]);
    web.stdout!.resume(); web.stderr!.resume();
    const curl = (from: string) => pair.exec(pair.client, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--interface', from, '-m', '2', `http://${pair.serverAddr}:8080/mgmt.txt`], { timeoutMs: 10_000 });
    assert.ok(await waitFor(() => curl(timed).stdout === '200', 10_000, 200), 'web server reachable from an unlisted client');

    await t.test('100k-network list blocks an address inside a listed network', async () => {
      const st = (await api.stats()).body as any;
      const drop = ((await api.sets()).body as any).sets.find((s: any) => s.name === 'drop');
      assert.ok(drop.networks >= 99_000, `networks loaded: ${drop.networks}`);
      process.stderr.write(`# 100k list loaded in ${st.setLoadMs.toFixed(1)} ms (inside the harness, noisy machine)\n`);
      const r = curl(listed);
      assert.notEqual(r.stdout, '200', 'listed client is blocked');
      assert.equal(curl(timed).stdout, '200', 'unlisted client still passes');
      const after = (await api.stats()).body as any;
      assert.ok(after.perSource[listed].dropped > 0);
      assert.equal(after.perSource[listed].accepted, 0);
    });

    await t.test('nmap SYN scan from the client namespace triggers the scan rule and the ban', { skip: !nmapOk && 'nmap missing' }, async () => {
      const r = pair.exec(pair.client, 'nmap', ['-n', '-Pn', '-sS', '-T4', '--max-retries', '0', '-p', '1-600', '--max-rtt-timeout', '100ms', '--initial-rtt-timeout', '50ms', '-S', scanner, '-e', pair.vethClient, pair.serverAddr], { timeoutMs: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(await waitFor(() => fs.existsSync(eventsFile) && fs.readFileSync(eventsFile, 'utf8').includes('port_scan_syn'), 5000, 50), 'alert written');
      const alerts = fs.readFileSync(eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.alert?.rule === 'port_scan_syn');
      assert.equal(alerts.length, 1, 'one alert: after it the ban drops the scanner before the rules');
      assert.equal(alerts[0].src_ip, scanner);
      assert.equal(alerts[0].alert.signature_id, 9000001);
      // the dispatcher made the ban shared; the API lists it with a ~10 minute expiry
      assert.ok(await waitFor(() => true, 100));
      const entries = ((await api.entries('bans')).body as any).entries;
      const ban = entries.find((e: any) => e.addr === scanner);
      assert.ok(ban, `ban listed: ${JSON.stringify(entries)}`);
      const left = Date.parse(ban.expiresAt) - Date.now();
      assert.ok(left > 540_000 && left <= 600_000, `expires in ~10 min: ${left} ms`);
      const st = (await api.stats()).body as any;
      assert.ok(st.perSource[scanner].dropped >= 600 - SCAN_LIMIT - 5, `scan packets beyond the threshold dropped: ${JSON.stringify(st.perSource[scanner])}`);
      assert.notEqual(curl(scanner).stdout, '200', 'the banned scanner cannot connect');
      // the alert is in SQLite too (writer thread, flushed every 250 ms)
      const sqlRows = () => {
        const db = openReadOnly(sqliteFile);
        try { return db.all("SELECT src_ip, sid, event_type FROM alerts") as { src_ip: string; sid: number }[]; } finally { db.close(); }
      };
      assert.ok(await waitFor(() => sqlRows().length === 1, 5000, 100), 'alert row in SQLite');
      assert.deepEqual({ ...sqlRows()[0], event_type: 'x' }, { src_ip: scanner, sid: 9000001, event_type: 'x' });
      // persisted (debounced write within ~1 s)
      assert.ok(await waitFor(() => fs.existsSync(stateFile) && fs.readFileSync(stateFile, 'utf8').includes(scanner), 5000, 50), 'ban state file written');
    });

    await t.test('a source added through the API is blocked from its next packet', async () => {
      // steady UDP stream from the timed client: one datagram per ms for 3 s
      const sender = pair.spawn(pair.client, 'python3', ['-c', [
        'import socket,time,sys',
        's=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)',
        `s.bind((${JSON.stringify(timed)},0))`,
        'end=time.time()+3',
        'i=0',
        'while time.time()<end:',
        `  s.sendto(str(i).encode(),(${JSON.stringify(pair.serverAddr)},9999)); i+=1; time.sleep(0.001)`,
      ].join('\n')]);
      sender.stdout!.resume(); sender.stderr!.resume();
      await new Promise((r) => setTimeout(r, 1000));
      const before = ((await api.stats()).body as any).perSource[timed];
      assert.ok(before.accepted > 100, `stream flowing: ${JSON.stringify(before)}`);
      const res = await api.add('bans', timed, '10m');
      assert.equal(res.status, 201);
      await waitFor(() => sender.exitCode !== null, 10_000, 50);
      const st = (await api.stats()).body as any;
      const { addNs, lastAcceptNs, firstDropNs } = st.timing;
      assert.ok(addNs > 0 && firstDropNs > 0, JSON.stringify(st.timing));
      assert.ok(lastAcceptNs < addNs, `no packet that reached the gate after the add returned was accepted (last accepted one started ${(lastAcceptNs - addNs) / 1e6} ms after)`);
      const delayMs = (firstDropNs - addNs) / 1e6;
      process.stderr.write(`# API add -> first dropped packet reaching the gate: ${delayMs.toFixed(3)} ms (the sender sends every ~1 ms, so this is mostly the wait for the next packet; goal < 10 ms)\n`);
      // negative: a packet that entered the gate before the add returned was already blocked
      assert.ok(delayMs < 1000, `delay ${delayMs} ms`);
      assert.ok(st.perSource[timed].dropped > 100);
    });
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
