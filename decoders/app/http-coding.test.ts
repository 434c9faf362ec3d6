import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'zlib';
import { execFileSync } from 'child_process';
import {
  decodeBody, DecodeResult, DEC_OK, DEC_LIMIT, DEC_ERROR, DEC_LAYERS, HTTP_MAX_DECODE_LAYERS,
} from './http-coding';

const TEXT = Buffer.from('<html>' + 'The quick brown fox jumps over the lazy dog. '.repeat(40) + 'X5O!P%@AP[4</html>', 'latin1');

function dec(b: Buffer, layers = 1, cap = 1 << 20): { s: string; r: DecodeResult } {
  const r = new DecodeResult();
  decodeBody(b, b.length, layers, cap, r);
  return { s: Buffer.from(r.buf.subarray(0, r.len)).toString('latin1'), r };
}

test('gzip (the gzip tool), zlib-wrapped and raw deflate all decode', () => {
  const gz = execFileSync('gzip', ['-c', '-n'], { input: TEXT });
  for (const [name, b] of [['gzip(1)', gz], ['zlib', zlib.deflateSync(TEXT)], ['raw', zlib.deflateRawSync(TEXT)]] as const) {
    const { s, r } = dec(b);
    assert.equal(s, TEXT.toString('latin1'), name);
    assert.equal(r.flags, DEC_OK, name);
    assert.equal(r.layers, 1);
  }
});

test('gzip header fields (FNAME, FEXTRA, FCOMMENT, FHCRC, reserved bits) are skipped; CRC not checked', () => {
  const raw = zlib.deflateRawSync(TEXT);
  const hdr = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
  const variants: number[][] = [
    [...hdr.slice(0, 3), 8, ...hdr.slice(4), ...Buffer.from('eicar.txt\0')],
    [...hdr.slice(0, 3), 4, ...hdr.slice(4), 3, 0, 1, 2, 3],
    [...hdr.slice(0, 3), 16, ...hdr.slice(4), ...Buffer.from('comment\0')],
    [...hdr.slice(0, 3), 2, ...hdr.slice(4), 0xaa, 0xbb],
    [...hdr.slice(0, 3), 0xe0, ...hdr.slice(4)],
  ];
  for (const v of variants) {
    const b = Buffer.concat([Buffer.from(v), raw, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])]);   // wrong trailer
    assert.equal(dec(b).s, TEXT.toString('latin1'), Buffer.from(v).toString('hex'));
  }
});

test('leading CRLF before the stream, layered codings, layer limit', () => {
  const gz = zlib.gzipSync(TEXT);
  assert.equal(dec(Buffer.concat([Buffer.from('\r\n'), gz])).s, TEXT.toString('latin1'));
  const two = zlib.gzipSync(zlib.deflateRawSync(TEXT));
  const r2 = dec(two, 2);
  assert.equal(r2.s, TEXT.toString('latin1'));
  assert.equal(r2.r.layers, 2);
  // one layer only undone when one is declared
  assert.notEqual(dec(two, 1).s, TEXT.toString('latin1'));
  let deep: Buffer = TEXT;
  for (let i = 0; i <= HTTP_MAX_DECODE_LAYERS; i++) deep = zlib.gzipSync(deep);
  const rd = dec(deep, HTTP_MAX_DECODE_LAYERS + 1);
  assert.ok(rd.r.flags & DEC_LAYERS);
  assert.equal(rd.r.layers, HTTP_MAX_DECODE_LAYERS);
  assert.notEqual(rd.s, TEXT.toString('latin1'));
});

test('truncated stream yields its prefix; corrupt data is an error; bomb is capped', () => {
  // little redundancy (numbers), so that a cut stream still carries most of the text
  const nums = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 100003).join(' '), 'latin1');
  const gz = zlib.gzipSync(nums);
  const t = dec(gz.subarray(0, gz.length - 40));
  assert.ok(t.s.length > nums.length / 2 && nums.toString('latin1').startsWith(t.s), `prefix ${t.s.length} of ${nums.length}`);
  const junk = Buffer.from('this is not compressed at all, just text', 'latin1');
  const e = dec(junk);
  assert.equal(e.r.flags & DEC_OK, 0);
  assert.ok(e.r.flags & DEC_ERROR);
  // 20 MB of zeros in ~20 KB: capped at 100 KB, flagged, and the capped output is the real prefix
  const bomb = zlib.gzipSync(Buffer.alloc(20 << 20, 0x41));
  const b = dec(bomb, 1, 102400);
  assert.ok(b.r.flags & DEC_LIMIT);
  assert.ok(b.r.flags & DEC_OK);
  assert.ok(b.r.len > 0 && b.r.len <= 102400, `len ${b.r.len}`);
  assert.ok(/^A+$/.test(b.s));
});
