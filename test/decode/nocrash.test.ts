/**
 * No capture in the shared set, including the deliberately broken ones (tcpdump's *trunc*,
 * *invalid*, *oobr*, *overflow*; nDPI's fuzz captures...), crashes the reader or a decoder: every
 * packet decodes without an exception with checksums and reassembly on, the PacketView invariants
 * hold, and a reader failure is a CaptureError/FileError (never anything else). The CLI ends a
 * corrupt capture with exit 1 after printing the good packets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { openCapture } from '../../src/io/capture';
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_TS_SEC, D_TS_NSEC, D_LINK } from '../../src/io/batch';
import { CaptureError, FileError } from '../../src/errors';
import { PacketView } from '../../decoders/packet';
import { decodePacket, DecodeContext, CSUM_ALL } from '../../decoders/decode';
import { Reassembler } from '../../decoders/frag';
import { SHARED_PCAPS, runQuell } from '../helpers/paths';
import { listCaptures } from './oracle';
import { checkInvariants } from './invariants';

test('every shared capture decodes without an exception and with PacketView invariants holding', { timeout: 300_000 }, async (t) => {
  const files = listCaptures();
  assert.ok(files.length > 1000);
  const v = new PacketView();
  let packets = 0, readerErrors = 0;
  const violations: string[] = [];
  for (const f of files) {
    const ctx = new DecodeContext(CSUM_ALL, new Reassembler());
    let r;
    try { r = await openCapture(f); } catch (e) {
      assert.ok(e instanceof CaptureError || e instanceof FileError, `${f}: open threw ${e}`);
      readerErrors++;
      continue;
    }
    try {
      for (;;) {
        let b;
        try { b = await r.next(512); } catch (e) {
          assert.ok(e instanceof CaptureError, `${f}: next() threw a non-CaptureError: ${(e as Error).stack}`);
          readerErrors++;
          break;
        }
        if (b === null) break;
        for (let i = 0; i < b.count; i++) {
          const d = i * DESC_STRIDE;
          const off = b.desc[d + D_OFF], cap = b.desc[d + D_CAPLEN];
          decodePacket(v, b.data, off, cap, b.desc[d + D_WIRELEN], b.desc[d + D_LINK], b.desc[d + D_TS_SEC], b.desc[d + D_TS_NSEC], ctx);
          packets++;
          const bad = checkInvariants(v, b.data, off, cap);
          if (bad !== null && violations.length < 50) violations.push(`${path.relative(SHARED_PCAPS, f)} packet ${packets}: ${bad}`);
        }
        r.complete(b);
      }
    } finally { await r.close(); }
  }
  t.diagnostic(`files ${files.length}, packets ${packets}, reader errors (clean CaptureError) ${readerErrors}`);
  assert.deepEqual(violations, []);
  assert.ok(packets > 100_000);
});

test('quell decode on a truncated capture prints the good packets, then exits 1 with the error on stderr', () => {
  const f = listCaptures().find((x) => fs.statSync(x).size > 5000 && /\.pcap$/.test(x)) as string;
  const whole = runQuell(['decode', f]);
  assert.equal(whole.status, 0, whole.stderr);
  const n = whole.stdout.split('\n').filter(Boolean).length;
  assert.ok(n >= 3);
  const bytes = fs.readFileSync(f);
  const tmp = fs.mkdtempSync('/tmp/quell-decode-');
  try {
    const cut = path.join(tmp, 'cut.pcap');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 3));       // last record loses 3 bytes
    const r = runQuell(['decode', cut]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /cut\.pcap.*offset \d+/);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, n - 1, 'every packet before the cut one is printed');
    assert.deepEqual(lines, whole.stdout.split('\n').filter(Boolean).slice(0, n - 1));
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

test('quell decode handles a closed stdout (| head) quietly', () => {
  const f = listCaptures().sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  // through a real pipe whose reader exits after two lines
  const p = spawnSync('bash', ['-c', `set -o pipefail; node "${path.join(__dirname, '..', '..', '..', 'bin', 'quell.js')}" decode "${f}" | head -2`], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(p.status, 0, 'quell exits 0 when its reader goes away');
  assert.equal(p.stdout.split('\n').filter(Boolean).length, 2);
  assert.equal(p.stderr, '', 'no EPIPE noise on stderr');
});
