/**
 * No shared capture crashes the reader: every file either reads fully (and then delivers exactly
 * the packet count capinfos reported, from SOURCES.md) or ends in a CaptureError carrying a
 * code, the file name and an offset, after its good packets.
 *
 * Truncation and corruption: real captures of each flavour (pcap LE/BE, nanosecond, pcapng
 * LE/BE, several sections) cut at many byte offsets must deliver exactly the records that end
 * before the cut, then a QUELL_E_CAPTURE_TRUNCATED error at the start of the cut record or block
 * (oracle: an independent record walker). Corrupt magic, caplen and block lengths give the
 * documented codes and offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { capinfosCounts, readAll, recordBoundaries, sharedCaptures } from './helpers';
import { SHARED_PCAPS } from '../helpers/paths';
import { CaptureError } from '../../src/errors';

test('every shared capture reads fully with the capinfos packet count, or fails cleanly', { timeout: 300_000 }, async () => {
  const caps = sharedCaptures();
  const truth = capinfosCounts();
  assert.ok(caps.length > 1100, `captures found: ${caps.length}`);
  const failures: string[] = [];
  let withTruth = 0;
  for (const { file } of caps) {
    const rel = path.relative(SHARED_PCAPS, file);
    const res = await readAll(file);
    if (res.error !== null) {
      const e = res.error;
      if (!(e instanceof CaptureError) || !/^QUELL_E_CAPTURE_/.test(e.code) || e.file !== file || !(e.offset >= 0)) {
        failures.push(`${rel}: bad error ${String(e)}`);
      }
      continue;
    }
    const want = truth.get(rel);
    if (want !== undefined) {
      withTruth++;
      if (want !== res.packets.length) failures.push(`${rel}: read ${res.packets.length}, capinfos ${want}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(withTruth > 1100, `files with a capinfos count: ${withTruth}`);
});

/** Read a byte buffer as a capture through the stdin path (no temporary file). */
function readBytes(buf: Buffer, chunkSize?: number) {
  return readAll('-', { stdin: Readable.from([buf]), chunkSize });
}

function pick(rel: string): Buffer { return fs.readFileSync(path.join(SHARED_PCAPS, rel)); }

function samples(): { name: string; buf: Buffer }[] {
  const caps = sharedCaptures();
  const byKind = (pred: (b: Buffer, f: string) => boolean, n: number) => {
    const out: { name: string; buf: Buffer }[] = [];
    for (const c of caps) {
      if (out.length >= n) break;
      const b = fs.readFileSync(c.file);
      if (b.length > 600 && b.length < 40_000 && pred(b, c.file)) out.push({ name: path.relative(SHARED_PCAPS, c.file), buf: b });
    }
    return out;
  };
  return [
    ...byKind((b) => b.readUInt32LE(0) === 0xa1b2c3d4, 2),
    ...byKind((b) => b.readUInt32BE(0) === 0xa1b2c3d4, 1),
    ...byKind((b) => b.readUInt32LE(0) === 0xa1b23c4d || b.readUInt32BE(0) === 0xa1b23c4d, 1),
    ...byKind((b) => b.readUInt32BE(0) === 0x0a0d0d0a && b.readUInt32LE(8) === 0x1a2b3c4d, 2),
    ...byKind((b) => b.readUInt32BE(0) === 0x0a0d0d0a && b.readUInt32BE(8) === 0x1a2b3c4d, 1),
    { name: 'pcapng-test-generator/output_le/difficult/test201.pcapng', buf: pick('pcapng-test-generator/output_le/difficult/test201.pcapng') },
    { name: 'pcapng-test-generator/output_be/difficult/test201.pcapng', buf: pick('pcapng-test-generator/output_be/difficult/test201.pcapng') },
  ];
}

test('truncation at many offsets: good packets first, then TRUNCATED at the cut record', { timeout: 120_000 }, async () => {
  const list = samples();
  assert.ok(list.length >= 8, `samples: ${list.map((s) => s.name).join(', ')}`);
  let cuts = 0;
  for (const { name, buf } of list) {
    const full = await readBytes(buf);
    assert.equal(full.error, null, `${name}: ${full.error?.message}`);
    const { starts, packetsBefore } = recordBoundaries(buf);
    assert.equal(starts[starts.length - 1], buf.length, `${name}: walker reaches the end`);
    assert.equal(packetsBefore[packetsBefore.length - 1], full.packets.length);
    // Every offset in the first 300 bytes and around every boundary, plus an even sample.
    const offsets = new Set<number>();
    for (let i = 0; i < Math.min(300, buf.length); i++) offsets.add(i);
    for (const s of starts) for (const d of [-1, 0, 1, 7, 13, 17]) if (s + d >= 0 && s + d < buf.length) offsets.add(s + d);
    for (let i = 0; i < 150; i++) offsets.add(Math.floor((i * buf.length) / 150));
    for (const cut of offsets) {
      const res = await readBytes(buf.subarray(0, cut), 64 + (cut % 300));
      // Largest boundary <= cut.
      let k = 0;
      while (k + 1 < starts.length && starts[k + 1] <= cut) k++;
      const atBoundary = starts[k] === cut;
      const hdr = buf.readUInt32BE(0) === 0x0a0d0d0a ? 0 : 24;
      const wantPackets = cut < (hdr || 12) ? 0 : packetsBefore[k];
      const msg = `${name} cut at ${cut}`;
      assert.equal(res.packets.length, wantPackets, msg);
      for (let i = 0; i < wantPackets; i++) assert.ok(res.packets[i].bytes.equals(full.packets[i].bytes), `${msg}: packet ${i + 1}`);
      if (cut >= hdr && atBoundary && cut > 0) {
        assert.equal(res.error, null, `${msg}: clean end expected, got ${res.error?.message}`);
      } else {
        assert.ok(res.error, `${msg}: expected an error`);
        assert.equal(res.error.code, 'QUELL_E_CAPTURE_TRUNCATED', `${msg}: ${res.error.message}`);
        assert.equal(res.error.offset, cut < hdr ? 0 : starts[k], `${msg}: ${res.error.message}`);
        assert.equal(res.error.file, '<stdin>');
        assert.match(res.error.message, /^<stdin>: at byte offset \d+: /);
      }
      cuts++;
    }
  }
  assert.ok(cuts > 2000, `cuts: ${cuts}`);
});

test('truncated files on disk: error names the file and offset, after the good packets', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-io-trunc-'));
  try {
    for (const { name, buf } of samples().slice(0, 4)) {
      const { starts, packetsBefore } = recordBoundaries(buf);
      const k = Math.floor(starts.length / 2);
      const cut = starts[k] + 5;
      const f = path.join(dir, 'cut.pcap');
      fs.writeFileSync(f, buf.subarray(0, cut));
      const res = await readAll(f, { max: 1 });
      assert.equal(res.packets.length, packetsBefore[k], name);
      assert.ok(res.error);
      assert.equal(res.error.file, f);
      assert.equal(res.error.offset, starts[k]);
      assert.ok(res.error.message.startsWith(`${f}: at byte offset ${starts[k]}: truncated`), res.error.message);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupt magic, empty file, short header, bad version', async () => {
  const base = samples()[0].buf;
  const bad = Buffer.from(base); bad[0] ^= 0xff;
  let r = await readBytes(bad);
  assert.equal(r.error?.code, 'QUELL_E_CAPTURE_BAD_MAGIC');
  assert.equal(r.error?.offset, 0);
  assert.match(r.error!.message, /unknown magic number 0x[0-9a-f]{8}/);
  assert.equal(r.packets.length, 0);
  r = await readBytes(Buffer.from('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n'));
  assert.equal(r.error?.code, 'QUELL_E_CAPTURE_BAD_MAGIC');
  r = await readBytes(Buffer.alloc(0));
  assert.equal(r.error?.code, 'QUELL_E_CAPTURE_TRUNCATED');
  assert.match(r.error!.message, /empty file/);
  r = await readBytes(base.subarray(0, 20));
  assert.equal(r.error?.code, 'QUELL_E_CAPTURE_TRUNCATED');
  const v = Buffer.from(base); v.writeUInt16LE(3, 4);
  r = await readBytes(v);
  assert.equal(r.error?.code, 'QUELL_E_CAPTURE_BAD_HEADER');
});

test('corrupt caplen in a classic pcap record: BAD_RECORD at that record, good packets first', async () => {
  const { name, buf } = samples()[0];
  const { starts, packetsBefore } = recordBoundaries(buf);
  const k = Math.min(3, starts.length - 2);
  const b = Buffer.from(buf);
  b.writeUInt32LE(0x7fffffff, starts[k] + 8);
  const res = await readBytes(b);
  assert.equal(res.packets.length, packetsBefore[k], name);
  assert.equal(res.error?.code, 'QUELL_E_CAPTURE_BAD_RECORD');
  assert.equal(res.error?.offset, starts[k]);
  assert.match(res.error!.message, /caplen 2147483647/);
});

test('corrupt pcapng blocks: bad length, trailer mismatch, unknown interface, bad byte-order magic', async () => {
  const name = 'pcapng-test-generator/output_le/basic/test001.pcapng';
  const buf = pick(name);
  const { starts } = recordBoundaries(buf);
  // starts: SHB, IDB, EPB x4, end
  const epb2 = starts[3];
  const cases: [string, (b: Buffer) => void, number, RegExp][] = [
    ['length not a multiple of 4', (b) => b.writeUInt32LE(b.readUInt32LE(epb2 + 4) + 2, epb2 + 4), epb2, /invalid length/],
    ['length below 12', (b) => b.writeUInt32LE(8, epb2 + 4), epb2, /invalid length 8/],
    ['huge length', (b) => b.writeUInt32LE(0x7ffffff0, epb2 + 4), epb2, /invalid length/],
    ['trailer mismatch', (b) => b.writeUInt32LE(4, starts[4] - 4), epb2, /trailing length/],
    ['unknown interface', (b) => b.writeUInt32LE(7, epb2 + 8), epb2, /interface 7/],
    ['caplen beyond block', (b) => b.writeUInt32LE(5000, epb2 + 20), epb2, /caplen 5000/],
    ['bad byte-order magic', (b) => b.writeUInt32LE(0x11223344, 8), 0, /byte-order magic/],
  ];
  for (const [what, mutate, offset, re] of cases) {
    const b = Buffer.from(buf);
    mutate(b);
    const res = await readBytes(b);
    assert.equal(res.error?.code, 'QUELL_E_CAPTURE_BAD_BLOCK', `${what}: ${res.error?.message}`);
    assert.equal(res.error?.offset, offset, what);
    assert.match(res.error!.message, re, what);
    assert.equal(res.packets.length, offset === 0 ? 0 : 1, what);
  }
});

test('an error is sticky: next() keeps rejecting with the same error', async () => {
  const { openCapture } = await import('../../src/io/capture');
  const { buf } = samples()[0];
  const { starts } = recordBoundaries(buf);
  const r = await openCapture('-', { stdin: Readable.from([buf.subarray(0, starts[2] + 3)]) });
  let n = 0;
  let first: unknown = null;
  for (let i = 0; i < 10; i++) {
    try { const b = await r.next(1); if (b === null) break; n += b.count; } catch (e) { first = e; break; }
  }
  assert.equal(n, 2);
  await assert.rejects(r.next(1), (e) => e === first);
  await r.close();
});

test('a read error mid-stream: good packets first, then QUELL_E_CAPTURE_READ', async () => {
  const { buf } = samples()[0];
  const { starts, packetsBefore } = recordBoundaries(buf);
  const k = Math.min(4, starts.length - 1);
  let sent = false;
  const stream = new Readable({
    read() {
      if (!sent) { sent = true; this.push(buf.subarray(0, starts[k])); }
      else this.destroy(new Error('simulated EIO'));
    },
  });
  const res = await readAll('-', { stdin: stream, max: 1000 });
  assert.equal(res.packets.length, packetsBefore[k]);
  assert.equal(res.error?.code, 'QUELL_E_CAPTURE_READ');
  assert.match(res.error!.message, /simulated EIO/);
  assert.equal(res.error?.offset, starts[k]);
});

test('missing file and directory: FileError / CaptureError with the path', async () => {
  const { openCapture } = await import('../../src/io/capture');
  const missing = path.join(os.tmpdir(), 'quell-no-such-capture.pcap');
  await assert.rejects(openCapture(missing), (e: Error & { code?: string }) => e.code === 'QUELL_E_FILE' && e.message.includes(missing) && e.message.includes('ENOENT'));
  await assert.rejects(openCapture(os.tmpdir()), (e: Error & { code?: string }) => e.code === 'QUELL_E_CAPTURE_READ' && e.message.includes('EISDIR'));
});

test('batch size argument is floored and clamped', async () => {
  const { openCapture } = await import('../../src/io/capture');
  const { D_CAPLEN, D_ID, DESC_STRIDE } = await import('../../src/io/batch');
  const big = sharedCaptures().find((c) => c.kind === 'pcap-usec' && fs.statSync(c.file).size > 2_000_000)!;
  const r = await openCapture(big.file);
  try {
    let b = await r.next(2.5);
    assert.ok(b && b.count === 2 && b.desc[1 * DESC_STRIDE + D_ID] === 2 && b.desc[1 * DESC_STRIDE + D_CAPLEN] > 0);
    b = await r.next(0);
    assert.ok(b && b.count === 1 && b.desc[D_ID] === 3);
    b = await r.next(1e9);
    assert.ok(b && b.count > 1 && b.count <= 65536);
  } finally { await r.close(); }
});
