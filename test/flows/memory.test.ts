/**
 * Memory stays bounded: a generated capture with 200,000 distinct TCP flows (one SYN each, all
 * within the TCP "new" timeout) replayed with a flow memcap of 10,000: the table never holds more
 * than the memcap, exactly 190,000 flows are evicted (counted), every flow is still reported
 * once, and the peak RSS is printed. The 1M-flow run is bench/flows/memory.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeSynCapture } from '../../bench/flows/syn-capture';
import { runReplay } from '../../src/engine/replay';

const FLOWS = 200_000, MEMCAP = 10_000;

test(`${FLOWS} flows within a memcap of ${MEMCAP}: evictions counted, RSS reported`, { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-mem-'));
  try {
    const cap = path.join(dir, 'syn.pcap');
    writeSynCapture(cap, FLOWS);
    let lines = 0, maxActive = 0;
    const ids = new Set<string>();
    const res = await runReplay(cap, {
      workers: 1, format: 'flows', engine: { maxFlows: MEMCAP },
      write: (ls) => { lines += ls.length; for (const l of ls) { const j = JSON.parse(l); ids.add(`${j.src}:${j.sport}`); } },
      onEngine: (e) => {
        const pb = e.processBatch.bind(e);
        e.processBatch = (b) => { pb(b); if (e.flows.active > maxActive) maxActive = e.flows.active; };
      },
    });
    const f = res.stats.flow as Record<string, number>;
    const rssMiB = process.resourceUsage().maxRSS / 1024;
    console.log(`${FLOWS} flows, memcap ${MEMCAP}: created ${f.created}, evicted ${f.evictions_memcap}, max active ${maxActive}, peak RSS ${rssMiB.toFixed(0)} MiB`);
    assert.equal(res.packets, FLOWS);
    assert.equal(f.created, FLOWS);
    assert.equal(f.evictions_memcap, FLOWS - MEMCAP);
    assert.ok(maxActive <= MEMCAP);
    assert.equal(lines, FLOWS);
    assert.equal(ids.size, FLOWS);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
