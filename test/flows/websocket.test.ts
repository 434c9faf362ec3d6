/**
 * WebSocket (RFC 6455) through the engine: after "101 Switching Protocols" + "Upgrade: websocket"
 * the frames are parsed (decoders/app/websocket.ts) and the unmasked message payloads are the
 * tunnelled stream, probed and parsed as HTTP when they are HTTP (src/engine/app.ts).
 * - Zeek's wstunnel-http trace (HTTP over WebSocket): the inner transaction is in the flow's http
 *   list with its own response's status; every Zeek http.log field is found, paired as on the wire
 *   (Zeek pairs them differently: test/flows/zeek.test.ts KNOWN_MISSES says why).
 * - Frames per direction, control frames and unmasked client frames equal tshark's WebSocket
 *   dissector on the two shared WebSocket traces.
 * - A crafted session (masked frames split across TCP segments, a ping between fragments): rules
 *   see the tunnelled request, EVE logs it; a permessage-deflate session's compressed messages
 *   are not parsed as HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { SHARED_PCAPS } from '../helpers/paths';
import { flowsOf } from './run';
import { Trace, TcpSession } from '../../src/io/craft';
import { runReplay } from '../../src/engine/replay';
import { writeTrace, compileOk, alerts, Eve } from '../detect/helpers';
import type { QuellEngine } from '../../src/engine/pipeline';

const WSTUNNEL = path.join(SHARED_PCAPS, 'zeek/websocket/wstunnel-http/wstunnel-http.pcap');
const KAAZING = path.join(SHARED_PCAPS, 'zeek/http/websocket/websocket.pcap');

async function flowsAndStats(pcap: string) {
  let eng: QuellEngine | null = null;
  const flows = await flowsOf(pcap, {}, (e) => { eng = e; });
  return { flows, stats: (eng as unknown as QuellEngine).app.stats() as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** tshark's WebSocket frames: [client frames, server frames, control frames, unmasked client + masked server frames]. */
function tsharkFrames(pcap: string, serverPort: number): number[] {
  const out = execFileSync('tshark', ['-r', pcap, '-Y', 'websocket', '-T', 'fields', '-E', 'separator=,', '-e', 'tcp.srcport', '-e', 'websocket.opcode', '-e', 'websocket.mask'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
  const r = [0, 0, 0, 0];
  for (const l of out.split('\n')) {
    if (!l) continue;
    const [sp, op, mask] = l.split(',').map(Number);
    const server = sp === serverPort;
    r[server ? 1 : 0]++;
    if (op >= 8) r[2]++;
    if ((mask === 1) === server) r[3]++;
  }
  return r;
}

test('wstunnel: HTTP inside WebSocket messages is parsed; every Zeek http.log field is found', async () => {
  const { flows, stats } = await flowsAndStats(WSTUNNEL);
  assert.equal(flows.length, 1);
  const h = flows[0].http;
  assert.deepEqual(h.map((x) => [x.method, x.host, x.uri, x.user_agent, x.status]), [
    ['GET', 'localhost', '/v1/events', null, 101],
    ['GET', 'zeek.org', '/', 'curl/7.81.0', 301],
  ]);
  // Zeek's rows (host, uri, user_agent) are our two requests; its one status (301) is the inner response's
  const log = path.join(path.dirname(WSTUNNEL), 'scripts.base.protocols.websocket.wstunnel-http/http.log');
  // a zeek-cut log: header line of field names, then rows (importing zeek.test.ts would run its test)
  const lines = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const names = lines[0].split('\t');
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [names[i], v])) as Record<string, string>);
  assert.equal(rows.length, 2);
  for (const r of rows) {
    const ua = r.user_agent === '-' ? null : r.user_agent;
    assert.ok(h.some((x) => x.host === r.host.replace(/:\d+$/, '') && x.uri === r.uri && x.user_agent === ua), JSON.stringify(r));
  }
  assert.deepEqual(rows.map((r) => r.status_code).filter((s) => s !== '-'), ['301']);
  assert.equal(h[1].status, 301);
  assert.equal(stats.flow.websocket, 1);
  assert.equal(stats.flow.http_in_tunnel, 1);
  assert.equal(stats.websocket.messages, 2);
});

test('WebSocket frame counts equal tshark on the shared traces', async (t) => {
  try { execFileSync('tshark', ['-v'], { stdio: 'ignore' }); } catch { t.skip('tshark not installed'); return; }
  for (const [pcap, port] of [[WSTUNNEL, 8888], [KAAZING, 80]] as const) {
    const [cf, sf, ctl, badMask] = tsharkFrames(pcap, port);
    const { stats } = await flowsAndStats(pcap);
    const w = stats.websocket;
    assert.equal(w.frames, cf + sf, `${pcap}: frames`);
    assert.equal(w.control_frames, ctl, `${pcap}: control frames`);
    assert.equal(w.mask_invalid, badMask, `${pcap}: unmasked client / masked server frames`);
    assert.equal(w.frame_too_big + w.opcode_invalid + w.fragment_invalid + w.gap, 0);
  }
  // Kaazing's gateway: an HTTP handshake inside the WebSocket (text message), answered 101 inside it
  const { flows } = await flowsAndStats(KAAZING);
  assert.deepEqual(flows[0].http.map((x) => [x.method, x.uri, x.status]), [['GET', '/echo?.kl=Y', 101], ['GET', '/echo', 101]]);
});

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0) / 1000;
function frame(op: number, payload: string, o: { fin?: boolean; key?: number[]; rsv1?: boolean } = {}): Buffer {
  const p = Buffer.from(payload, 'latin1');
  const key = o.key;
  const h: number[] = [((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | op];
  const m = key ? 0x80 : 0;
  if (p.length < 126) h.push(m | p.length); else h.push(m | 126, p.length >> 8, p.length & 255);
  if (key) { h.push(...key); for (let i = 0; i < p.length; i++) p[i] ^= key[i & 3]; }
  return Buffer.concat([Buffer.from(h), p]);
}
const KEY = [0xa1, 0x07, 0x5c, 0xee];
const RULES = `
rule inner_uri { meta: sid = 1 strings: $a = "/admin/secret" in http.uri condition: $a action: alert }
rule inner_ua { meta: sid = 2 strings: $a = "tunnel-ua" in http.user_agent condition: $a action: alert }`;

function wsSession(port: number, extensions: string, body: (s: TcpSession) => void): string {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.9.0.1', server: '10.9.0.2', cport: port, sport: 8080 });
  s.handshake();
  s.send('client', 'GET /ws HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  s.send('server', `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n${extensions}\r\n`);
  body(s);
  s.close();
  return writeTrace(t, `ws-${port}`);
}

async function replay(pcap: string): Promise<{ evs: Eve[]; stats: Eve }> {
  const lines: string[] = [];
  const res = await runReplay(pcap, {
    workers: 1, format: 'eve', engine: {}, write: (l) => { lines.push(...l); },
    detect: { ruleset: compileOk(RULES), mode: 'ids' },
  });
  return { evs: lines.map((l) => JSON.parse(l)), stats: res.stats as Eve };
}

test('crafted: masked fragments split across segments, ping in between: rules and EVE see the tunnelled request', async () => {
  const req = 'GET /admin/secret HTTP/1.1\r\nHost: inner.example\r\nUser-Agent: tunnel-ua\r\n\r\n';
  const pcap = wsSession(41000, '', (s) => {
    const frames = Buffer.concat([
      frame(2, req.slice(0, 20), { fin: false, key: KEY }),
      frame(9, 'keepalive', { key: KEY }),
      frame(0, req.slice(20), { key: KEY }),
    ]);
    s.send('client', frames, { segments: [3, 10, 7, 25] });
    s.send('server', Buffer.concat([frame(10, 'keepalive'), frame(2, 'HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope')]));
    s.send('client', frame(8, '\x03\xe8', { key: KEY }));
    s.send('server', frame(8, '\x03\xe8'));
  });
  const { evs, stats } = await replay(pcap);
  const http = evs.filter((e) => e.event_type === 'http');
  assert.deepEqual(http.map((e) => [e.http.http_method, e.http.url, e.http.hostname, e.http.status]),
    [['GET', '/ws', 'gw', 101], ['GET', '/admin/secret', 'inner.example', 403]]);
  assert.equal(alerts(evs, 1).length, 1, 'rule on the tunnelled uri');
  assert.equal(alerts(evs, 2).length, 1, 'rule on the tunnelled user agent');
  const w = stats.app_layer.websocket;
  assert.equal(w.frames, 7);
  assert.equal(w.control_frames, 4);
  assert.equal(w.messages, 2);
  assert.equal(w.mask_invalid, 0);
});

test('crafted: permessage-deflate negotiated: compressed messages are not parsed as HTTP', async () => {
  const pcap = wsSession(41001, 'Sec-WebSocket-Extensions: permessage-deflate\r\n', (s) => {
    // RSV1: compressed payload (these bytes are not HTTP once inflated; they must not be read as is)
    s.send('client', frame(1, 'GET /admin/secret HTTP/1.1\r\nUser-Agent: tunnel-ua\r\n\r\n', { key: KEY, rsv1: true }));
  });
  const { evs, stats } = await replay(pcap);
  assert.deepEqual(evs.filter((e) => e.event_type === 'http').map((e) => e.http.url), ['/ws']);
  assert.equal(alerts(evs).length, 0);
  assert.equal(stats.app_layer.websocket.compressed, 1);
});
