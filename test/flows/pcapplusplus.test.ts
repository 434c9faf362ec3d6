/**
 * Reassembled TCP streams against PcapPlusPlus' TcpReassembly example output
 * (shared/pcaps/pcapplusplus/tcp-reassembly): for every connection it lists, both directions
 * concatenated in delivery order (tcpreassembly_sanity/<conn>.txt) and each side alone
 * (tcpreassembly_sides/<src>-<dst>.txt) must equal quell's reassembled bytes exactly, and the
 * -metadata.txt byte counts per side must match. Uses the engine's stream tap (internal API).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SHARED_PCAPS } from '../helpers/paths';
import { runReplay } from '../../src/engine/replay';
import type { QuellEngine } from '../../src/engine/pipeline';

const CASE = path.join(SHARED_PCAPS, 'pcapplusplus', 'tcp-reassembly');

interface Conn { both: Buffer[]; side: [Buffer[], Buffer[]]; client: string; server: string }

test('PcapPlusPlus reassembled streams, byte for byte', { timeout: 120_000 }, async () => {
  const conns = new Map<number, Conn>();  // by flow_id
  let eng: QuellEngine | null = null;
  await runReplay(path.join(CASE, 'tcp-reassembly.pcap'), {
    workers: 1, format: 'flows', engine: { streamDepth: 2 ** 40, maxFlows: 1 << 16 },
    write: () => {},
    onEngine: (e) => {
      eng = e;
      e.streamTap = (slot, dir, buf, off, len) => {
        const f = e.flows;
        const id = f.flowId[slot];
        let c = conns.get(id);
        if (!c) {
          const cs = f.clientSide[slot];
          c = { both: [], side: [[], []], client: `${f.addrText(slot, cs)}.${f.portOf(slot, cs)}`, server: `${f.addrText(slot, cs ^ 1)}.${f.portOf(slot, cs ^ 1)}` };
          conns.set(id, c);
        }
        const b = Buffer.from(buf.subarray(off, off + len)); // copy: the view is valid during the call only
        c.both.push(b); c.side[dir].push(b);
      };
    },
  });
  assert.ok(eng !== null);
  const byName = new Map<string, Conn>();
  for (const c of conns.values()) byName.set(`${c.client}-${c.server}`, c);
  const sanity = path.join(CASE, 'expected_output', 'tcpreassembly_sanity');
  const files = fs.readdirSync(sanity).filter((f) => f.endsWith('.txt') && !f.endsWith('-metadata.txt'));
  assert.ok(files.length >= 1);
  let checked = 0;
  for (const f of files) {
    const name = f.replace(/\.txt$/, '');
    const c = byName.get(name);
    assert.ok(c, `connection ${name} not reassembled (have ${[...byName.keys()].slice(0, 5).join(', ')}...)`);
    const want = fs.readFileSync(path.join(sanity, f));
    const got = Buffer.concat(c!.both);
    assert.equal(got.length, want.length, `${name}: length`);
    assert.ok(got.equals(want), `${name}: both directions differ`);
    // per side
    const [cl, sv] = name.split('-');
    const sides = path.join(CASE, 'expected_output', 'tcpreassembly_sides');
    const s0 = fs.readFileSync(path.join(sides, `${cl}-${sv}.txt`)), s1 = fs.readFileSync(path.join(sides, `${sv}-${cl}.txt`));
    assert.ok(Buffer.concat(c!.side[0]).equals(s0), `${name}: client side differs`);
    assert.ok(Buffer.concat(c!.side[1]).equals(s1), `${name}: server side differs`);
    // metadata byte counts
    const meta = fs.readFileSync(path.join(sanity, `${name}-metadata.txt`), 'utf8');
    const b0 = Number(/bytes in side 0:\s+(\d+)/.exec(meta)![1]), b1 = Number(/bytes in side 1:\s+(\d+)/.exec(meta)![1]);
    assert.equal(s0.length, b0); assert.equal(s1.length, b1);
    checked++;
  }
  console.log(`PcapPlusPlus: ${checked} connection(s) reproduced byte for byte (${conns.size} TCP flows with data in the capture)`);
});
