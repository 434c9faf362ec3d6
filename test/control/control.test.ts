import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as http from 'http';
import { spawn, spawnSync } from 'child_process';
import { ControlServer } from '../../src/control/server';
import { ControlClient } from '../../src/control/client';
import { OpsHandler, ReloadResult } from '../../src/control/handler';
import { SetRegistry, NamedSet, GATE_BLOCK, GATE_NONE, GATE_ALLOW } from '../../src/ops/sets';
import { parseIPv4 } from '../../src/ops/addr';
import { OpsConfigError } from '../../src/ops/errors';
import { QUELL_BIN } from '../helpers/paths';

interface Fixture { dir: string; sock: string; reg: SetRegistry; server: ControlServer; client: ControlClient; now: { t: number }; rulesOk: { v: boolean } }

async function setup(extra: Partial<{ tcp: boolean; token: string }> = {}): Promise<Fixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-ctl-'));
  const sock = path.join(dir, 'run', 'quell.sock');
  fs.writeFileSync(path.join(dir, 'block.txt'), '203.0.113.0/24\n');
  fs.writeFileSync(path.join(dir, 'allow.txt'), '192.0.2.250\n');
  const reg = new SetRegistry();
  reg.add(new NamedSet('blocklist', 'block', path.join(dir, 'block.txt')));
  reg.add(new NamedSet('mgmt', 'allow', path.join(dir, 'allow.txt')));
  const now = { t: Date.UTC(2026, 0, 1) };
  const rulesOk = { v: true };
  let hits = 0;
  const handler = new OpsHandler(reg, {
    clock: () => now.t,
    listRules: () => [{ sid: 1001, name: 'scan detected', action: 'drop', hits: ++hits }],
    reloadRules: (): ReloadResult => rulesOk.v ? { ok: true, rules: 1 } : { ok: false, diagnostics: [{ severity: 'error', code: 'E012', message: 'duplicate rule', file: 'r.rules', line: 3, column: 1 }] },
    stats: () => ({ packets: 42 }),
  });
  const server = new ControlServer(handler, { socket: sock, tcp: extra.tcp ? { host: '127.0.0.1', port: 0 } : null, token: extra.token ?? null });
  await server.start();
  return { dir, sock, reg, server, client: new ControlClient({ socket: sock }), now, rulesOk };
}
async function teardown(f: Fixture): Promise<void> { await f.server.close(); fs.rmSync(f.dir, { recursive: true, force: true }); }

function raw(sock: string, method: string, p: string, headers: Record<string, string | number>, body?: string | Buffer): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path: p, headers }, (res) => {
      let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(b) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('unix socket is 0600; sets list/add/remove with timeout change what the gate sees', async () => {
  const f = await setup();
  try {
    assert.equal(fs.statSync(f.sock).mode & 0o777, 0o600);
    assert.ok(fs.statSync(f.sock).isSocket());
    assert.equal(fs.statSync(path.dirname(f.sock)).mode & 0o777, 0o700);
    let r = await f.client.sets();
    assert.equal(r.status, 200);
    const sets = (r.body as any).sets;
    assert.deepEqual(sets.map((s: any) => [s.name, s.role, s.networks]), [['blocklist', 'block', 1], ['mgmt', 'allow', 1]]);

    const a = parseIPv4('198.51.100.7');
    assert.equal(f.reg.gate4(a, f.now.t), GATE_NONE);
    r = await f.client.add('blocklist', '198.51.100.7', '10m');
    assert.equal(r.status, 201);
    assert.deepEqual(r.body, { set: 'blocklist', addr: '198.51.100.7', expiresAt: new Date(f.now.t + 600_000).toISOString() });
    // the very next lookup (no batch boundary needed) sees it
    assert.equal(f.reg.gate4(a, f.now.t), GATE_BLOCK);
    assert.equal(f.reg.gate4(a, f.now.t + 599_999), GATE_BLOCK);
    assert.equal(f.reg.gate4(a, f.now.t + 600_000), GATE_NONE, 'expires after exactly 10 minutes');
    assert.equal((await f.client.add('blocklist', '198.51.100.7', '10m')).status, 201);
    // seconds as a number, permanent, networks, IPv6
    assert.equal((await f.client.add('blocklist', '198.51.100.8', 30)).status, 201);
    assert.equal((await f.client.add('blocklist', '2001:db8::/32')).status, 201);
    const list = await f.client.entries('blocklist');
    const entries = (list.body as any).entries;
    assert.ok(entries.some((e: any) => e.addr === '2001:db8::/32' && e.expiresAt === null && e.source === 'dynamic'));
    assert.ok(entries.some((e: any) => e.addr === '203.0.113.0/24' && e.source === 'file'));
    // remove
    r = await f.client.del('blocklist', '198.51.100.7');
    assert.equal(r.status, 200); assert.equal((r.body as any).removed, true);
    assert.equal(f.reg.gate4(a, f.now.t), GATE_NONE);
    r = await f.client.del('blocklist', '198.51.100.7');
    assert.equal(r.status, 404); assert.equal((r.body as any).error.code, 'QUELL_E_API_NO_ENTRY');
    // the allowlist wins over an API ban
    await f.client.add('blocklist', '192.0.2.250');
    assert.equal(f.reg.gate4(parseIPv4('192.0.2.250'), f.now.t), GATE_ALLOW);
    // set reload through the API, a broken file keeps the old networks and says so
    fs.writeFileSync(path.join(f.dir, 'block.txt'), 'garbage line\n');
    r = await f.client.reloadSets();
    assert.equal(r.status, 200);
    const bl = (r.body as any).sets.find((s: any) => s.name === 'blocklist');
    assert.equal(bl.ok, false); assert.match(bl.error, /block\.txt:1:/);
    assert.equal(f.reg.gate4(parseIPv4('203.0.113.9'), f.now.t), GATE_BLOCK);
  } finally { await teardown(f); }
});

test('rules, reload with diagnostics, stats; validation errors are JSON with codes and statuses', async () => {
  const f = await setup();
  try {
    let r = await f.client.rules();
    assert.equal(r.status, 200); assert.equal((r.body as any).rules[0].sid, 1001);
    r = await f.client.reload();
    assert.equal(r.status, 200); assert.equal((r.body as any).ok, true);
    f.rulesOk.v = false;
    r = await f.client.reload();
    assert.equal(r.status, 422);
    assert.equal((r.body as any).error.code, 'QUELL_E_API_RELOAD_FAILED');
    assert.equal((r.body as any).error.details.diagnostics[0].line, 3);
    r = await f.client.stats();
    assert.equal((r.body as any).packets, 42);

    const cases: [string, string, Record<string, string | number>, string | undefined, number, string][] = [
      ['POST', '/v1/sets/blocklist/entries', { 'content-type': 'application/json' }, '{"addr":', 400, 'QUELL_E_API_BAD_JSON'],
      ['POST', '/v1/sets/blocklist/entries', { 'content-type': 'text/plain' }, '{"addr":"1.2.3.4"}', 415, 'QUELL_E_API_MEDIA_TYPE'],
      ['POST', '/v1/sets/blocklist/entries', { 'content-type': 'application/json' }, '[1]', 400, 'QUELL_E_API_BAD_REQUEST'],
      ['POST', '/v1/sets/blocklist/entries', { 'content-type': 'application/json' }, '{"addr":"1.2.3.4","extra":1}', 400, 'QUELL_E_API_BAD_REQUEST'],
      ['POST', '/v1/sets/blocklist/entries', { 'content-type': 'application/json' }, '{"addr":"1.2.3.999"}', 400, 'QUELL_E_API_BAD_ADDR'],
      ['POST', '/v1/sets/blocklist/entries', { 'content-type': 'application/json' }, '{"addr":"1.2.3.4","timeout":"soon"}', 400, 'QUELL_E_API_BAD_REQUEST'],
      ['POST', '/v1/sets/blocklist/entries', { 'content-type': 'application/json' }, '{"addr":"1.2.3.4","timeout":-5}', 400, 'QUELL_E_API_BAD_REQUEST'],
      ['POST', '/v1/sets/blocklist/entries', { 'content-type': 'application/json' }, '{"addr":"1.2.3.4","timeout":"9999d"}', 400, 'QUELL_E_API_BAD_REQUEST'],
      ['POST', '/v1/sets/nosuch/entries', { 'content-type': 'application/json' }, '{"addr":"1.2.3.4"}', 404, 'QUELL_E_API_NO_SET'],
      ['POST', '/v1/sets/blocklist/entries', { 'content-type': 'application/json' }, JSON.stringify({ addr: 'x'.repeat(70 * 1024) }), 413, 'QUELL_E_API_TOO_LARGE'],
      ['GET', '/v1/nothing', {}, undefined, 404, 'QUELL_E_API_NOT_FOUND'],
      ['GET', '/etc/passwd', {}, undefined, 404, 'QUELL_E_API_NOT_FOUND'],
      ['PUT', '/v1/sets', {}, undefined, 405, 'QUELL_E_API_METHOD'],
      ['GET', '/v1/sets/bad%20name', {}, undefined, 400, 'QUELL_E_API_BAD_REQUEST'],
      ['GET', '/v1/sets/blocklist?limit=0', {}, undefined, 400, 'QUELL_E_API_BAD_REQUEST'],
      ['DELETE', '/v1/sets/blocklist/entries', {}, undefined, 400, 'QUELL_E_API_BAD_REQUEST'],
      ['GET', '/v1/sets/%E0%A4%A', {}, undefined, 400, 'QUELL_E_API_BAD_REQUEST'],
    ];
    for (const [m, p, h, b, status, code] of cases) {
      const res = await raw(f.sock, m, p, h, b);
      assert.equal(res.status, status, `${m} ${p} ${b?.slice(0, 40)}`);
      assert.equal(res.body.error.code, code, `${m} ${p}`);
      assert.equal(typeof res.body.error.message, 'string');
    }
    assert.ok(f.server.errors >= cases.length);
  } finally { await teardown(f); }
});

test('TCP listener: refused without a token; requires the bearer token', async () => {
  assert.throws(() => new ControlServer(new OpsHandler(new SetRegistry()), { socket: null, tcp: { host: '127.0.0.1', port: 0 } }), OpsConfigError);
  const token = 'abcdefghijklmnop0123456789';
  const f = await setup({ tcp: true, token });
  try {
    const port = f.server.tcpPort;
    assert.ok(port > 0);
    const good = new ControlClient({ host: '127.0.0.1', port, token });
    assert.equal((await good.sets()).status, 200);
    const bad = new ControlClient({ host: '127.0.0.1', port, token: 'wrong-token-wrong-token' });
    const r = await bad.sets();
    assert.equal(r.status, 401); assert.equal((r.body as any).error.code, 'QUELL_E_API_UNAUTHORIZED');
    // the unix socket needs no token (file permissions guard it)
    assert.equal((await f.client.sets()).status, 200);
    // quell ctl over TCP with a token file
    const tf = path.join(f.dir, 'token');
    fs.writeFileSync(tf, token + '\n', { mode: 0o600 });
    let c = await runCli(['ctl', '--tcp', `127.0.0.1:${port}`, '--token-file', tf, 'sets']);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(JSON.parse(c.stdout).sets.length, 2);
    fs.writeFileSync(tf, 'not-the-right-token-at-all\n');
    c = await runCli(['ctl', '--tcp', `127.0.0.1:${port}`, '--token-file', tf, 'sets']);
    assert.equal(c.status, 1);
    assert.equal(JSON.parse(c.stdout).error.code, 'QUELL_E_API_UNAUTHORIZED');
    c = await runCli(['ctl', '--tcp', `127.0.0.1:${port}`, 'sets']);
    assert.equal(c.status, 2, 'TCP without a token file is a usage error');
  } finally { await teardown(f); }
});

test('stale socket file is replaced; a live one is refused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-ctl-'));
  const sock = path.join(dir, 'q.sock');
  try {
    // a stale socket: bound by a server that is gone (unlink disabled by closing the fd abruptly)
    // a stale socket: bound by a process that exited without unlinking it
    const py = spawnSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)', sock]);
    assert.equal(py.status, 0);
    assert.ok(fs.existsSync(sock));
    const s1 = new ControlServer(new OpsHandler(new SetRegistry()), { socket: sock });
    await s1.start();
    const s2 = new ControlServer(new OpsHandler(new SetRegistry()), { socket: sock });
    await assert.rejects(s2.start(), /another quell is listening/);
    await s1.close();
    assert.equal(fs.existsSync(sock), false);
    fs.writeFileSync(sock, 'not a socket');
    await assert.rejects(new ControlServer(new OpsHandler(new SetRegistry()), { socket: sock }).start(), /not a socket/);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

function runCli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  // async child: the server lives in this process and must keep answering
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [QUELL_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stdout.on('data', (d) => (out += d)); c.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('close', (code) => { clearTimeout(t); resolve({ status: code ?? -1, stdout: out, stderr: err }); });
  });
}

test('quell ctl: JSON on stdout, exit 0 / 1 on API errors / 2 on usage', { skip: !fs.existsSync(QUELL_BIN) && 'bin/quell.js missing' }, async () => {
  const f = await setup();
  try {
    let r = await runCli(['ctl', '--socket', f.sock, 'sets']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).sets.length, 2);
    r = await runCli(['ctl', '--socket', f.sock, 'set', 'add', 'blocklist', '198.51.100.77', '--timeout', '10m']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).addr, '198.51.100.77');
    assert.equal(f.reg.gate4(parseIPv4('198.51.100.77'), f.now.t), GATE_BLOCK);
    r = await runCli(['ctl', '--socket', f.sock, 'set', 'list', 'blocklist']);
    assert.equal(r.status, 0);
    assert.ok(JSON.parse(r.stdout).entries.some((e: any) => e.addr === '198.51.100.77'));
    r = await runCli(['ctl', '--socket', f.sock, 'set', 'del', 'blocklist', '198.51.100.77']);
    assert.equal(r.status, 0);
    assert.equal(f.reg.gate4(parseIPv4('198.51.100.77'), f.now.t), GATE_NONE);
    r = await runCli(['ctl', '--socket', f.sock, 'set', 'add', 'nosuch', '198.51.100.77']);
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.stdout).error.code, 'QUELL_E_API_NO_SET');
    r = await runCli(['ctl', '--socket', f.sock, 'rules']);
    assert.equal(JSON.parse(r.stdout).rules[0].sid, 1001);
    f.rulesOk.v = false;
    r = await runCli(['ctl', '--socket', f.sock, 'reload']);
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.stdout).error.details.diagnostics[0].code, 'E012');
    r = await runCli(['ctl', '--socket', f.sock, 'stats']);
    assert.equal(JSON.parse(r.stdout).packets, 42);
    r = await runCli(['ctl', '--socket', f.sock, 'set', 'frobnicate']);
    assert.equal(r.status, 2);
    r = await runCli(['ctl', '--socket', f.sock]);
    assert.equal(r.status, 2);
    r = await runCli(['ctl', '--socket', path.join(f.dir, 'none.sock'), 'stats']);
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.stdout).error.code, 'QUELL_E_CONTROL_CONNECT');
  } finally { await teardown(f); }
});
