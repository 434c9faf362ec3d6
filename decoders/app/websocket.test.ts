import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  WsParser, WS_COUNTER_NAMES, WS_MAX_FRAME_BYTES, WS_UNMASK_CHUNK, WS_OP_TEXT, WS_OP_BINARY, WS_OP_CONT, WS_OP_CLOSE, WS_OP_PING, WS_OP_PONG,
  WS_C_FRAMES, WS_C_MESSAGES, WS_C_CONTROL, WS_C_TOO_BIG, WS_C_CONTROL_INVALID, WS_C_OPCODE_INVALID, WS_C_RSV_INVALID,
  WS_C_FRAGMENT_INVALID, WS_C_MASK_INVALID, WS_C_COMPRESSED, WS_C_AFTER_CLOSE, WS_C_GAP,
} from './websocket';

interface F { op: number; payload: Buffer | string; fin?: boolean; key?: number[] | null; rsv?: number; len64?: boolean }

/** One frame as RFC 6455 5.2 lays it out (the test's own encoder). */
function frame(f: F): Buffer {
  const p = typeof f.payload === 'string' ? Buffer.from(f.payload, 'latin1') : f.payload;
  const fin = f.fin ?? true;
  const key = f.key === undefined ? null : f.key;
  const hdr: number[] = [(fin ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | f.op];
  const m = key ? 0x80 : 0;
  if (p.length < 126 && !f.len64) hdr.push(m | p.length);
  else if (p.length < 65536 && !f.len64) hdr.push(m | 126, p.length >> 8, p.length & 255);
  else { hdr.push(m | 127, 0, 0, 0, 0); const l = p.length; hdr.push((l >>> 24) & 255, (l >>> 16) & 255, (l >>> 8) & 255, l & 255); }
  if (key) hdr.push(...key);
  const body = Buffer.from(p);
  if (key) for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(hdr), body]);
}
const K = [0x37, 0xfa, 0x21, 0x3d];

interface Out { stream: [string, string]; counts: Record<string, number>; close: number[]; opaque: number[] }

/** Feed each direction's bytes cut into pieces by `cut`; collect the payload streams and counters. */
function run(c2s: Buffer, s2c: Buffer, cut: (b: Buffer) => Buffer[], deflate = false): Out {
  const p = new WsParser();
  p.deflate = deflate;
  const parts: [Buffer[], Buffer[]] = [[], []];
  p.onPayload = (d, b, o, n) => { parts[d].push(Buffer.from(b.subarray(o, o + n))); };
  const a = cut(c2s), b = cut(s2c);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) {
      // through a larger buffer at an offset, to prove offsets are honoured
      const big = Buffer.alloc(a[i].length + 5, 0xee); a[i].copy(big, 2);
      p.feed(0, big, 2, a[i].length);
    }
    if (i < b.length) p.feed(1, b[i], 0, b[i].length);
  }
  return {
    stream: [Buffer.concat(parts[0]).toString('latin1'), Buffer.concat(parts[1]).toString('latin1')],
    counts: Object.fromEntries(WS_COUNTER_NAMES.map((n, i) => [n, p.counts[i]])),
    close: [...p.closeCode], opaque: [...p.opaqueBytes],
  };
}
const whole = (b: Buffer) => [b];
const bytewise = (b: Buffer) => Array.from(b, (_, k) => b.subarray(k, k + 1));

function splitInvariant(c2s: Buffer, s2c: Buffer, deflate = false): Out {
  const ref = run(c2s, s2c, whole, deflate);
  assert.deepEqual(run(c2s, s2c, bytewise, deflate), ref, 'byte by byte');
  for (const k of [1, 2, 3, 5, 7, 11, 64, 200]) {
    const cut = (b: Buffer) => { const r: Buffer[] = []; for (let i = 0; i < b.length; i += k) r.push(b.subarray(i, i + k)); return r; };
    assert.deepEqual(run(c2s, s2c, cut, deflate), ref, `pieces of ${k}`);
  }
  return ref;
}

test('payloads unmasked and forwarded in order; 7/16/64-bit lengths; cut anywhere', () => {
  const big = Buffer.alloc(70_000); for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 255;
  const c2s = Buffer.concat([
    frame({ op: WS_OP_TEXT, payload: 'GET / HTTP/1.1\r\n', key: K }),
    frame({ op: WS_OP_BINARY, payload: Buffer.alloc(300, 0x41), key: [1, 2, 3, 4] }),
    frame({ op: WS_OP_BINARY, payload: big, key: K }),
    frame({ op: WS_OP_BINARY, payload: 'x', key: K, len64: true }),
  ]);
  const s2c = Buffer.concat([frame({ op: WS_OP_BINARY, payload: 'HTTP/1.1 200 OK\r\n' }), frame({ op: WS_OP_TEXT, payload: '' })]);
  const r = splitInvariant(c2s, s2c);
  assert.equal(r.stream[0], 'GET / HTTP/1.1\r\n' + 'A'.repeat(300) + big.toString('latin1') + 'x');
  assert.equal(r.stream[1], 'HTTP/1.1 200 OK\r\n');
  assert.equal(r.counts.frames, 6);
  assert.equal(r.counts.messages, 6);
  assert.equal(r.counts.mask_invalid, 0);
});

test('a masked payload longer than the unmask chunk keeps the key position across chunks and feeds', () => {
  const n = WS_UNMASK_CHUNK * 2 + 13;
  const pl = Buffer.alloc(n); for (let i = 0; i < n; i++) pl[i] = (i * 31) & 255;
  const r = run(frame({ op: WS_OP_BINARY, payload: pl, key: K }), Buffer.alloc(0), (b) => [b.subarray(0, 5), b.subarray(5, 12345), b.subarray(12345)]);
  assert.equal(r.stream[0], pl.toString('latin1'));
});

test('fragmented message with a control frame between its fragments (RFC 6455 5.4)', () => {
  const c2s = Buffer.concat([
    frame({ op: WS_OP_TEXT, payload: 'Hel', fin: false, key: K }),
    frame({ op: WS_OP_PING, payload: 'ping!', key: K }),
    frame({ op: WS_OP_CONT, payload: 'lo ', fin: false, key: K }),
    frame({ op: WS_OP_CONT, payload: 'world', key: K }),
  ]);
  const s2c = frame({ op: WS_OP_PONG, payload: 'ping!' });
  const r = splitInvariant(c2s, s2c);
  assert.equal(r.stream[0], 'Hello world', 'control payloads are not part of the message');
  assert.equal(r.stream[1], '');
  assert.equal(r.counts.messages, 1);
  assert.equal(r.counts.control_frames, 2);
  assert.equal(r.counts.fragment_invalid, 0);
  assert.equal(r.counts.control_invalid, 0);
});

test('close frame: status code kept; bytes after it are not read as frames', () => {
  const c2s = Buffer.concat([frame({ op: WS_OP_CLOSE, payload: Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]), key: K }), frame({ op: WS_OP_TEXT, payload: 'late', key: K })]);
  const s2c = frame({ op: WS_OP_CLOSE, payload: '' });
  const r = splitInvariant(c2s, s2c);
  assert.deepEqual(r.close, [1000, -1]);
  assert.equal(r.stream[0], '');
  assert.equal(r.counts.after_close, 1);
  assert.equal(r.opaque[0], 10);
});

test('protocol violations are counted; framing stays in sync when the length is known', () => {
  const c2s = Buffer.concat([
    frame({ op: WS_OP_PING, payload: Buffer.alloc(126), key: K }),            // control > 125
    frame({ op: WS_OP_PING, payload: 'a', fin: false, key: K }),              // fragmented control
    frame({ op: 0x3, payload: 'reserved', key: K }),                          // reserved opcode: skipped
    frame({ op: WS_OP_CONT, payload: 'orphan', key: K }),                     // continuation without a message
    frame({ op: WS_OP_TEXT, payload: 'a', fin: false, key: K }),
    frame({ op: WS_OP_TEXT, payload: 'b', key: K }),                          // new message inside a fragmented one
    frame({ op: WS_OP_TEXT, payload: 'rsv', rsv: 2, key: K }),                // RSV2, no extension
    frame({ op: WS_OP_TEXT, payload: 'unmasked' }),                           // client frame without a mask
  ]);
  const s2c = frame({ op: WS_OP_TEXT, payload: 'masked', key: K });         // server frame with a mask
  const r = splitInvariant(c2s, s2c);
  assert.equal(r.stream[0], 'orphanabrsvunmasked');
  assert.equal(r.stream[1], 'masked');
  assert.equal(r.counts.control_invalid, 2);
  assert.equal(r.counts.opcode_invalid, 1);
  assert.equal(r.counts.fragment_invalid, 2);
  assert.equal(r.counts.rsv_invalid, 1);
  assert.equal(r.counts.mask_invalid, 2);
  assert.equal(r.counts.frames, 9);
});

test('permessage-deflate: compressed messages (RSV1) are not forwarded; framing continues', () => {
  const c2s = Buffer.concat([
    frame({ op: WS_OP_TEXT, payload: '\xf2\x48\xcd', rsv: 4, fin: false, key: K }),
    frame({ op: WS_OP_CONT, payload: '\xc9\xc9\x07\x00', key: K }),
    frame({ op: WS_OP_TEXT, payload: 'plain', key: K }),
  ]);
  const r = splitInvariant(c2s, Buffer.alloc(0), true);
  assert.equal(r.stream[0], 'plain');
  assert.equal(r.counts.compressed, 1);
  assert.equal(r.counts.rsv_invalid, 0);
  const r2 = run(c2s, Buffer.alloc(0), whole, false);
  assert.equal(r2.counts.rsv_invalid, 1, 'RSV1 without the extension negotiated');
});

test('limits: a 64-bit length with the top bit set or above WS_MAX_FRAME_BYTES stops the direction', () => {
  const hdr = Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 5, ...K]);
  const r = run(Buffer.concat([hdr, Buffer.from('hello'), frame({ op: WS_OP_TEXT, payload: 'next', key: K })]), frame({ op: WS_OP_TEXT, payload: 'ok' }), whole);
  assert.equal(r.counts.frame_too_big, 1);
  assert.equal(r.stream[0], '');
  assert.equal(r.stream[1], 'ok', 'the other direction is unaffected');
  assert.equal(r.opaque[0], 5 + 10);
  const l = WS_MAX_FRAME_BYTES + 1;
  const hdr2 = Buffer.from([0x82, 0x7f, 0, 0, 0, 0, (l >>> 24) & 255, (l >>> 16) & 255, (l >>> 8) & 255, l & 255]);
  assert.equal(run(hdr2, Buffer.alloc(0), whole).counts.frame_too_big, 1);
});

test('gap: the direction loses its framing; the rest is opaque', () => {
  const p = new WsParser();
  const got: string[] = [];
  p.onPayload = (d, b, o, n) => got.push(`${d}:${Buffer.from(b.subarray(o, o + n)).toString('latin1')}`);
  const f1 = frame({ op: WS_OP_TEXT, payload: 'abcdef', key: K });
  p.feed(0, f1, 0, 8);
  p.gap(0, 3);
  p.feed(0, f1, 11, f1.length - 11);
  const f2 = frame({ op: WS_OP_TEXT, payload: 'srv' });
  p.feed(1, f2, 0, f2.length);
  assert.deepEqual(got, ['0:ab', '1:srv']);
  assert.equal(p.counts[WS_C_GAP], 1);
  assert.equal(p.parsing(0), false);
  assert.equal(p.parsing(1), true);
  assert.equal(p.counts[WS_C_FRAMES] + p.counts[WS_C_MESSAGES] + p.counts[WS_C_CONTROL], 3);
  for (const c of [WS_C_TOO_BIG, WS_C_CONTROL_INVALID, WS_C_OPCODE_INVALID, WS_C_RSV_INVALID, WS_C_FRAGMENT_INVALID, WS_C_MASK_INVALID, WS_C_COMPRESSED, WS_C_AFTER_CLOSE]) {
    assert.equal(p.counts[c], 0, WS_COUNTER_NAMES[c]);
  }
});

test('random bytes never throw and every counter stays consistent', () => {
  let x = 99;
  const rnd = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 24; };
  for (let n = 0; n < 300; n++) {
    const b = Buffer.alloc(1 + (n * 37) % 2000);
    for (let i = 0; i < b.length; i++) b[i] = rnd();
    const p = new WsParser();
    let bytes = 0;
    p.onPayload = (_d, _b, _o, k) => { bytes += k; };
    p.feed(n & 1, b, 0, b.length);
    assert.ok(bytes <= b.length);
    assert.equal(bytes, p.payloadBytes[n & 1]);
  }
});

test('property: any valid frame sequence, cut anywhere, gives exactly the data payloads (fast-check, fixed seed)', () => {
  const frameArb = fc.record({
    kind: fc.constantFrom('data', 'data', 'data', 'ping', 'pong'),
    payload: fc.uint8Array({ maxLength: 300 }),
    big: fc.boolean(),
    mask: fc.boolean(),
    key: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
    frags: fc.integer({ min: 1, max: 3 }),
  });
  fc.assert(fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), (specs, cuts) => {
    const parts: Buffer[] = [];
    let want = '';
    let nFrames = 0;
    for (const f of specs) {
      const key = f.mask ? f.key : null;
      const pl = Buffer.from(f.payload);
      if (f.kind !== 'data') { parts.push(frame({ op: f.kind === 'ping' ? WS_OP_PING : WS_OP_PONG, payload: pl.subarray(0, 125), key })); nFrames++; continue; }
      want += pl.toString('latin1');
      // the message in f.frags fragments (a 64-bit length on the first when asked)
      const step = Math.ceil(pl.length / f.frags) || 1;
      let first = true;
      for (let o = 0; o < pl.length || first; o += step) {
        const last = o + step >= pl.length;
        parts.push(frame({ op: first ? WS_OP_BINARY : WS_OP_CONT, payload: pl.subarray(o, o + step), fin: last, key, len64: first && f.big }));
        nFrames++;
        first = false;
      }
    }
    const all = Buffer.concat(parts);
    let k = 0;
    const r = run(all, Buffer.alloc(0), (b) => { const o: Buffer[] = []; for (let i = 0; i < b.length;) { const n = cuts[k++ % cuts.length]; o.push(b.subarray(i, i + n)); i += n; } return o; });
    assert.equal(r.stream[0], want);
    assert.equal(r.counts.frames, nFrames);
    assert.equal(r.counts.messages, specs.filter((f) => f.kind === 'data').length);
    assert.equal(r.counts.fragment_invalid + r.counts.control_invalid + r.counts.opcode_invalid + r.counts.rsv_invalid + r.counts.frame_too_big, 0);
  }), { seed: 6455, numRuns: 2000 });
});

test('a reserved opcode between fragments is skipped without ending the message', () => {
  const c2s = Buffer.concat([
    frame({ op: WS_OP_TEXT, payload: 'a', fin: false, key: K }),
    frame({ op: 0x5, payload: 'zz', key: K }),
    frame({ op: WS_OP_CONT, payload: 'b', key: K }),
  ]);
  const r = splitInvariant(c2s, Buffer.alloc(0));
  assert.equal(r.stream[0], 'ab');
  assert.equal(r.counts.messages, 1);
  assert.equal(r.counts.opcode_invalid, 1);
  assert.equal(r.counts.fragment_invalid, 0);
});
