/**
 * Cross-check: for every classic pcap under SHARED_PCAPS (found by magic number, recursively)
 * our reader and the pcap-parser npm package give the same packets: count, timestamps
 * (seconds, microseconds), captured and wire lengths, bytes.
 *
 * pcap-parser only knows the microsecond magic, so nanosecond files are checked against tshark
 * in tshark.test.ts instead. pcap-parser stops silently at a truncated record; we compare the
 * good packets and expect our reader to report the truncation as a CaptureError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
// pcap-parser has no type declarations.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const pcapp = require('pcap-parser') as { parse(file: string): NodeJS.EventEmitter };
import { readAll, sharedCaptures } from './helpers';
import { SHARED_PCAPS } from '../helpers/paths';

interface PPacket { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }

function parseWithPcapParser(file: string): Promise<{ packets: PPacket[]; error: Error | null }> {
  return new Promise((resolve) => {
    const packets: PPacket[] = [];
    let error: Error | null = null;
    const p = pcapp.parse(file);
    p.on('packet', (pk: PPacket) => packets.push(pk));
    p.on('error', (e: Error) => { error = e; });
    p.on('end', () => resolve({ packets, error }));
  });
}

test('every classic pcap in the shared captures: same packets as pcap-parser', { timeout: 300_000 }, async () => {
  const files = sharedCaptures().filter((c) => c.kind === 'pcap-usec');
  assert.ok(files.length > 900, `expected the ~1000 shared classic pcaps, found ${files.length}`);
  let packets = 0;
  const failures: string[] = [];
  for (const { file } of files) {
    const rel = path.relative(SHARED_PCAPS, file);
    const theirs = await parseWithPcapParser(file);
    const ours = await readAll(file);
    if (theirs.error) { failures.push(`${rel}: pcap-parser error ${theirs.error.message}`); continue; }
    if (ours.error !== null && ours.error.code !== 'QUELL_E_CAPTURE_TRUNCATED') {
      failures.push(`${rel}: our reader failed: ${ours.error.message}`);
      continue;
    }
    if (ours.packets.length !== theirs.packets.length) {
      failures.push(`${rel}: ${ours.packets.length} packets, pcap-parser ${theirs.packets.length}`);
      continue;
    }
    for (let i = 0; i < ours.packets.length; i++) {
      const a = ours.packets[i], b = theirs.packets[i];
      const theirTs = b.header.timestampSeconds * 1e6 + b.header.timestampMicroseconds;
      const ourTs = a.sec * 1e6 + a.nsec / 1000;
      if (a.id !== i + 1 || ourTs !== theirTs || a.caplen !== b.header.capturedLength ||
          a.wirelen !== b.header.originalLength || !a.bytes.equals(b.data)) {
        failures.push(`${rel}: packet ${i + 1} differs (ts ${ourTs} vs ${theirTs}, caplen ${a.caplen} vs ${b.header.capturedLength}, len ${a.wirelen} vs ${b.header.originalLength})`);
        break;
      }
    }
    packets += ours.packets.length;
  }
  assert.deepEqual(failures, []);
  assert.ok(packets > 100_000, `compared ${packets} packets`);
});
