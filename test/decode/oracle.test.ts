/**
 * Oracle: `quell decode` agrees with tshark on IP version, src/dst, protocol, ports, TCP flags,
 * TTL/hop limit and payload length for >= 99.9% of the packets of every shared capture with a
 * supported link type (field semantics: oracle.ts). On failure the disagreeing packets are listed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { listCaptures, runOracle, decodeOurs } from './oracle';
import { SHARED_PCAPS, runQuell } from '../helpers/paths';

const MIN_AGREEMENT = 0.999;

test('quell decode agrees with tshark on >= 99.9% of packets of the shared captures', { timeout: 600_000 }, async (t) => {
  assert.equal(spawnSync('tshark', ['--version']).status, 0, 'tshark must be installed (.ci/run installs it)');
  const files = listCaptures();
  assert.ok(files.length > 1000, `expected the shared captures, found ${files.length}`);
  const rep = await runOracle(files);
  const rate = 1 - rep.bad / rep.compared;
  t.diagnostic(`files ${rep.files.length}, packets compared ${rep.compared}, disagreeing ${rep.bad}, agreement ${(rate * 100).toFixed(3)}%, skipped (unsupported link) ${rep.skipped}`);
  // per-file report: every file, its agreement, and reader differences
  for (const f of rep.files) {
    const pct = f.compared ? (100 * (1 - f.bad / f.compared)).toFixed(1) + '%' : 'n/a (no supported link type)';
    t.diagnostic(`${path.relative(SHARED_PCAPS, f.file)}: ${f.compared - f.bad}/${f.compared} agree (${pct})` +
      (f.ours !== f.theirs ? `, packets ours ${f.ours} tshark ${f.theirs}` : '') + (f.readError ? `, read error: ${f.readError}` : ''));
  }
  assert.ok(rep.compared > 100_000, `too few packets compared: ${rep.compared}`);
  const listing = rep.disagreements.slice(0, 300).map((d) => `${d.file} n=${d.n} ${d.field}: ours=${d.ours} tshark=${d.tshark}`).join('\n');
  assert.ok(rate >= MIN_AGREEMENT, `agreement ${(rate * 100).toFixed(3)}% < 99.9%; disagreeing packets:\n${listing}`);
});

test('the quell decode CLI prints the same packets as the in-process decode the oracle checks', async () => {
  const files = listCaptures().filter((f) => /(zeek\/snap-tcp|tcpdump\/.*vlan|ndpi\/ajp|ipv6)/.test(f)).slice(0, 6);
  assert.ok(files.length >= 3);
  for (const f of files) {
    const r = runQuell(['decode', '--no-reassemble', '--no-checksums', f]);
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const ours = await decodeOurs(f);
    assert.equal(lines.length, ours.pkts.length, f);
    for (let i = 0; i < lines.length; i++) {
      const o = ours.pkts[i];
      assert.equal(lines[i].n, i + 1);
      if (o === null) continue;
      assert.equal(lines[i].ip?.v ?? 0, o.v, `${f} n=${i + 1}`);
      assert.equal(lines[i].payload_len, o.payload, `${f} n=${i + 1}`);
    }
  }
});
