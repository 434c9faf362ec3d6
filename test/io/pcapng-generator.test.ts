/**
 * pcapng conformance files from hadrielk/pcapng-test-generator (little- and big-endian output):
 * the block counts and the packet count (EPB + SPB) our reader reports equal the `Block counts:`
 * of each `.txt` description, and the number of sections equals the SHB count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { readAll } from './helpers';
import { SHARED_PCAPS } from '../helpers/paths';

const DIR = path.join(SHARED_PCAPS, 'pcapng-test-generator');

function descriptions(): string[] {
  const out: string[] = [];
  for (const order of ['output_le', 'output_be']) {
    for (const cat of fs.readdirSync(path.join(DIR, order)).sort()) {
      for (const f of fs.readdirSync(path.join(DIR, order, cat)).sort()) {
        if (f.endsWith('.txt')) out.push(path.join(DIR, order, cat, f));
      }
    }
  }
  return out;
}

function expectedCounts(txt: string): Record<string, number> {
  const text = fs.readFileSync(txt, 'utf8');
  const m = /Block counts:([\s\S]*?)Block sequence:/.exec(text);
  assert.ok(m, `${txt}: no Block counts section`);
  const out: Record<string, number> = {};
  for (const line of m[1].split('\n')) {
    const mm = /^\s*(\w+): (\d+)/.exec(line);
    if (mm) out[mm[1]] = Number(mm[2]);
  }
  // The sequence line must agree with the counts (guards the parsing of the description).
  const seq = /Block sequence: (.*)/.exec(text);
  assert.ok(seq);
  const fromSeq: Record<string, number> = {};
  for (const b of seq[1].split(',').map((s) => s.trim())) fromSeq[b] = (fromSeq[b] ?? 0) + 1;
  assert.deepEqual(fromSeq, out, `${txt}: sequence vs counts`);
  return out;
}

const TXT = descriptions();

test('all 32 pcapng-test-generator files are present', () => {
  assert.equal(TXT.length, 32);
});

for (const txt of TXT) {
  const cap = txt.replace(/\.txt$/, '.pcapng');
  const name = path.relative(DIR, cap);
  test(`pcapng-test-generator ${name}: block and packet counts`, async () => {
    const want = expectedCounts(txt);
    const res = await readAll(cap);
    assert.equal(res.error, null, res.error?.message);
    assert.equal(res.format, 'pcapng');
    assert.deepEqual(res.blockCounts, want);
    assert.equal(res.packets.length, (want.EPB ?? 0) + (want.SPB ?? 0) + (want.OPB ?? 0));
    // Ordinals are 1-based and consecutive across sections.
    res.packets.forEach((p, i) => assert.equal(p.id, i + 1));
  });
}

test('pcapng-test-generator: little- and big-endian versions give identical packets', async () => {
  for (const txt of TXT.filter((t) => t.includes('output_le'))) {
    const le = await readAll(txt.replace(/\.txt$/, '.pcapng'));
    const be = await readAll(txt.replace('output_le', 'output_be').replace(/\.txt$/, '.pcapng'));
    assert.equal(le.packets.length, be.packets.length, txt);
    for (let i = 0; i < le.packets.length; i++) {
      const a = le.packets[i], b = be.packets[i];
      assert.deepEqual([a.sec, a.nsec, a.caplen, a.wirelen, a.link, a.ifindex], [b.sec, b.nsec, b.caplen, b.wirelen, b.link, b.ifindex], `${txt} packet ${i + 1}`);
      assert.ok(a.bytes.equals(b.bytes), `${txt} packet ${i + 1} bytes`);
    }
  }
});
