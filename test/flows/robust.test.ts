/**
 * Every shared capture (1,100+ files: nDPI, suricata-verify, tcpdump's malformed ones, Zeek,
 * Arkime, pcapng conformance...) replays through the engine without an internal error (a
 * corrupt capture may only end with a QuellError code), and the packet accounting holds: the
 * packets of all flow records add up to the decoded packets minus those without a flow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SHARED_PCAPS } from '../helpers/paths';
import { runReplay } from '../../src/engine/replay';
import { QuellError } from '../../src/errors';

function walk(d: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.(pcap|pcapng|cap|trace|dump)$/.test(e.name)) out.push(p);
  }
  return out;
}

test('all shared captures: no internal error, flow packets add up', { timeout: 600_000 }, async () => {
  const files = walk(SHARED_PCAPS).sort();
  assert.ok(files.length > 1000, `found ${files.length} captures`);
  let ok = 0, captureErrors = 0, flows = 0;
  const broken: string[] = [];
  for (const f of files) {
    let flowPkts = 0;
    try {
      const res = await runReplay(f, {
        workers: 1, format: 'eve', engine: { maxFlows: 1 << 16 },
        write: (lines) => {
          for (const l of lines) {
            const j = JSON.parse(l);
            if (j.event_type === 'flow') { flows++; flowPkts += j.flow.pkts_toserver + j.flow.pkts_toclient; }
          }
        },
      });
      const d = res.stats.decoder as Record<string, number>;
      if (flowPkts !== d.pkts - d.no_flow) broken.push(`${f}: flow packets ${flowPkts} != ${d.pkts} - ${d.no_flow}`);
      ok++;
    } catch (e) {
      if (e instanceof QuellError) captureErrors++;
      else broken.push(`${f}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
    }
  }
  console.log(`${files.length} captures: ${ok} replayed, ${captureErrors} rejected as corrupt captures, ${flows} flows`);
  assert.deepEqual(broken, []);
});
