import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as net from 'net';
import { spawnSync } from 'child_process';
import * as protobuf from 'protobufjs';
import { openReadOnly } from '../helpers/sqlite';
import { LineFile, EveSocketSink } from '../../src/outputs/sinks';
import { ProtoStreamSink } from '../../src/outputs/proto-stream';
import { SqliteSink } from '../../src/outputs/sqlite';
import { PcapDropWriter, LINKTYPE_RAW } from '../../src/outputs/pcap-drops';
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_TS_SEC, D_TS_NSEC, D_LINK, V_ACCEPT, V_DROP, V_REJECT, V_F_FLOW, PacketBatch } from '../../src/io/batch';
import { ROOT } from '../helpers/paths';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'quell-out-'));

function alert(i: number): Record<string, unknown> {
  return {
    event_type: 'alert', tsNs: 1_763_683_200_000_000_000n + BigInt(i) * 1000n, flow_id: 1000 + i,
    src_ip: '192.0.2.1', src_port: 40000 + i, dest_ip: '198.51.100.2', dest_port: 80, proto: 6, app_proto: 'http',
    alert: { signature_id: 2000 + (i % 3), rev: 1, signature: `rule ${i % 3}`, action: 'drop', category: 'scan', severity: 2 },
    http: { hostname: 'example.test', url: `/x${i}` },
  };
}
function flow(i: number): Record<string, unknown> {
  return {
    event_type: 'flow', tsNs: 1_763_683_201_000_000_000n, flow_id: 5000 + i, src_ip: '2001:db8::1', src_port: 5353, dest_ip: '2001:db8::2',
    dest_port: 53, proto: 17, app: 'dns', pkts_toserver: 1, pkts_toclient: 1, bytes_toserver: 70, bytes_toclient: 120,
    startUs: 1_763_683_200_000_000 + i, endUs: 1_763_683_200_500_000 + i, state: 'closed', reason: 'timeout', vlan: [],
  };
}

test('LineFile: writes are queued (never block), reopen after rename starts a new file, nothing lost or split', async () => {
  const d = tmp();
  try {
    const f = path.join(d, 'eve.json');
    const lf = new LineFile(f);
    for (let i = 0; i < 100; i++) assert.equal(lf.write(JSON.stringify({ n: i }) + '\n'), true);
    assert.equal(fs.readFileSync(f, 'utf8'), '', 'write() returned before any I/O');
    await lf.idle();
    fs.renameSync(f, f + '.1');             // logrotate's move
    for (let i = 100; i < 150; i++) lf.write(JSON.stringify({ n: i }) + '\n');
    await lf.reopen();                       // SIGHUP
    for (let i = 150; i < 200; i++) lf.write(JSON.stringify({ n: i }) + '\n');
    await lf.close();
    const old = fs.readFileSync(f + '.1', 'utf8').trim().split('\n').map((l) => JSON.parse(l).n);
    const cur = fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l).n);
    assert.deepEqual(old, Array.from({ length: 150 }, (_, i) => i), 'records queued before reopen go to the old file');
    assert.deepEqual(cur, Array.from({ length: 50 }, (_, i) => 150 + i));
    // bounded: beyond maxPending the sink sheds and counts
    const small = new LineFile(path.join(d, 'small.json'), 1000);
    let ok = 0;
    for (let i = 0; i < 100; i++) if (small.write('x'.repeat(99) + '\n')) ok++;
    assert.equal(ok, 10);
    assert.equal(small.counters.shed, 90);
    await small.close();
    assert.equal(fs.statSync(path.join(d, 'small.json')).size, 1000);
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});

function collect(sock: string): Promise<{ c: net.Socket; chunks: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const c = net.connect(sock, () => resolve({ c, chunks }));
    c.on('data', (b: Buffer) => chunks.push(b));
    c.on('error', reject);
  });
}
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  for (let t = 0; t < ms && !cond(); t += 10) await new Promise((r) => setTimeout(r, 10));
}

test('EVE on a unix stream socket: every consumer gets whole lines; socket mode 0600', async () => {
  const d = tmp();
  const sock = path.join(d, 'eve.sock');
  const sink = new EveSocketSink(sock);
  await sink.start();
  try {
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
    sink.writeLine('{"dropped":"before anyone listened"}');
    const a = await collect(sock), b = await collect(sock);
    await until(() => sink.fanout.clientCount === 2);
    for (let i = 0; i < 500; i++) sink.writeLine(JSON.stringify(alert(i), (_k, v) => typeof v === 'bigint' ? v.toString() : v));
    const total = () => Buffer.concat(a.chunks).toString().split('\n').length - 1;
    await until(() => total() >= 500 && Buffer.concat(b.chunks).toString().split('\n').length - 1 >= 500);
    for (const x of [a, b]) {
      const lines = Buffer.concat(x.chunks).toString().trimEnd().split('\n');
      assert.equal(lines.length, 500);
      assert.deepEqual(lines.map((l) => JSON.parse(l).src_port), Array.from({ length: 500 }, (_, i) => 40000 + i));
      x.c.destroy();
    }
  } finally { await sink.close(); fs.rmSync(d, { recursive: true, force: true }); }
});

test('protobuf stream decodes with the shipped .proto through an independent protobufjs decoder; slow consumer sheds', async () => {
  const d = tmp();
  const sock = path.join(d, 'events.sock');
  const sink = new ProtoStreamSink(sock);
  await sink.start();
  try {
    const consumer = await collect(sock);
    await until(() => sink.fanout.clientCount === 1);
    const evs = [alert(1), flow(2), { event_type: 'stats', tsNs: 5n, stats: { decoder: { pkts: 9 } } }, alert(2)];
    sink.write(evs);
    // separate decoder: loads the .proto shipped in the repo by path, decodes the framed stream
    const root = protobuf.loadSync(path.join(ROOT, 'src', 'outputs', 'quell-events.proto'));
    const Event = root.lookupType('quell.events.v1.Event');
    const frames: any[] = [];
    await until(() => {
      const buf = Buffer.concat(consumer.chunks);
      frames.length = 0;
      const r = protobuf.Reader.create(buf);
      try { while (r.pos < r.len) frames.push(Event.toObject(Event.decodeDelimited(r), { longs: String, defaults: true })); } catch { /* partial frame */ }
      return frames.length === 4;
    });
    assert.equal(frames.length, 4);
    assert.equal(frames[0].eventType, 'alert');
    assert.equal(frames[0].tsNs, '1763683200000001000', '64-bit ns timestamp exact');
    assert.equal(frames[0].srcIp, '192.0.2.1'); assert.equal(frames[0].srcPort, 40001); assert.equal(frames[0].proto, 'TCP');
    assert.equal(frames[0].alert.signatureId, 2001); assert.equal(frames[0].alert.action, 'drop'); assert.equal(frames[0].alert.severity, 2);
    assert.equal(JSON.parse(frames[0].json).http.url, '/x1');
    assert.equal(frames[1].eventType, 'flow'); assert.equal(frames[1].proto, 'UDP'); assert.equal(frames[1].appProto, 'dns');
    assert.equal(frames[1].flow.bytesToclient, '120'); assert.equal(frames[1].flow.reason, 'timeout');
    assert.equal(JSON.parse(frames[2].json).stats.decoder.pkts, 9);
    assert.equal(frames[3].alert.signatureId, 2002);
    consumer.c.destroy();

    // a consumer that never reads: its buffer bound is hit and further frames are shed, counted
    const small = new ProtoStreamSink(path.join(d, 'slow.sock'), 64 * 1024);
    await small.start();
    const slow = net.connect(path.join(d, 'slow.sock'));
    slow.pause();
    await until(() => small.fanout.clientCount === 1);
    for (let i = 0; i < 20000; i++) small.write([alert(i)]);
    assert.ok(small.fanout.counters.shed > 0, 'shed counted');
    assert.ok(small.fanout.counters.written + small.fanout.counters.shed === 20000);
    slow.destroy();
    await small.close();
  } finally { await sink.close(); fs.rmSync(d, { recursive: true, force: true }); }
});

test('SQLite: alert and flow rows in a WAL database, batched through the writer thread, bounded', async () => {
  const d = tmp();
  try {
    const file = path.join(d, 'quell.db');
    const s = await SqliteSink.open(file, { batchRows: 100, flushMs: 50 });
    const evs: Record<string, unknown>[] = [];
    for (let i = 0; i < 250; i++) evs.push(alert(i));
    for (let i = 0; i < 30; i++) evs.push(flow(i));
    evs.push({ event_type: 'http', tsNs: 1n }); // not stored
    s.write(evs);
    await s.idle();
    assert.equal(s.counters.written, 280);
    assert.ok(s.counters.batches >= 1);
    // read with a separate connection
    const db = openReadOnly(file);
    try {
      assert.equal(db.get('PRAGMA journal_mode')?.journal_mode, 'wal');
      assert.equal((db.get('SELECT count(*) n FROM alerts') as { n: number }).n, 250);
      assert.equal((db.get('SELECT count(*) n FROM flows') as { n: number }).n, 30);
      const r = db.get('SELECT * FROM alerts WHERE src_port = ?', 40007) as Record<string, unknown>;
      assert.equal(r.sid, 2001); assert.equal(r.signature, 'rule 1'); assert.equal(r.action, 'drop'); assert.equal(r.proto, 'TCP');
      assert.equal(r.ts, '2025-11-21T00:00:00.000007Z'); assert.equal(r.ts_us, 1_763_683_200_000_007);
      assert.equal(JSON.parse(r.json as string).http.url, '/x7');
      const bySid = db.all('SELECT sid, count(*) n FROM alerts GROUP BY sid ORDER BY sid');
      assert.deepEqual(bySid, [{ sid: 2000, n: 84 }, { sid: 2001, n: 83 }, { sid: 2002, n: 83 }]);
      const fl = db.get('SELECT * FROM flows WHERE flow_id = 5003') as Record<string, unknown>;
      assert.equal(fl.dest_ip, '2001:db8::2'); assert.equal(fl.proto, 'UDP'); assert.equal(fl.bytes_toclient, 120); assert.equal(fl.app_proto, 'dns');
      assert.equal((db.get("SELECT value FROM meta WHERE key='schema_version'") as { value: string }).value, '1');
    } finally { db.close(); }
    await s.close();

    // bounded: with maxInFlight 50, a burst of 500 sheds 450 and never blocks write()
    const b = await SqliteSink.open(path.join(d, 'b.db'), { maxInFlight: 50, batchRows: 10_000, flushMs: 10_000 });
    b.write(Array.from({ length: 500 }, (_, i) => alert(i)));
    assert.equal(b.counters.shed, 450);
    await b.close();
    const db2 = openReadOnly(path.join(d, 'b.db'));
    assert.equal((db2.get('SELECT count(*) n FROM alerts') as { n: number }).n, 50);
    db2.close();
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});

test('pcap of dropped packets: only drop/reject verdicts, readable by tshark', { skip: spawnSync('tshark', ['-v']).status !== 0 && 'tshark missing' }, () => {
  const d = tmp();
  try {
    // three raw IPv4/UDP packets in one buffer; verdicts accept, drop|flow, reject
    const pkt = (id: number): number[] => {
      const ip = [0x45, 0, 0, 28 + 4, 0, id, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, id];
      const udp = [0x30, 0x39, 0, 53, 0, 12, 0, 0, 0xde, 0xad, 0xbe, id];
      return [...ip, ...udp];
    };
    const bytes = [...pkt(1), ...pkt(2), ...pkt(3)];
    const data = Uint8Array.from(bytes);
    const desc = new Uint32Array(3 * DESC_STRIDE);
    for (let i = 0; i < 3; i++) {
      const o = i * DESC_STRIDE;
      desc[o + D_OFF] = i * 32; desc[o + D_CAPLEN] = 32; desc[o + D_WIRELEN] = 32; desc[o + D_TS_SEC] = 1_763_683_200 + i; desc[o + D_TS_NSEC] = 123_456_789;
      desc[o + D_LINK] = LINKTYPE_RAW;
    }
    const verdict = Uint32Array.of(V_ACCEPT, 0, V_DROP | V_F_FLOW, 0, V_REJECT, 0);
    const batch: PacketBatch = { data, desc, verdict, count: 3 };
    const f = path.join(d, 'drops.pcap');
    const w = new PcapDropWriter(f);
    w.writeBatch(batch);
    data.fill(0); // the source reuses its buffer after complete(): the writer must have copied
    w.close();
    assert.equal(w.written, 2);
    const r = spawnSync('tshark', ['-r', f, '-T', 'fields', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'frame.time_epoch'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(rows.map((x) => [x[0], x[1]]), [['198.51.100.2', '53'], ['198.51.100.3', '53']]);
    assert.match(rows[0][2], /^1763683201\.123456789/);
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});
