/**
 * Link types: for every shared capture, the link type(s) our reader takes from the classic
 * header or the pcapng IDBs match capinfos' "Link type" column in SOURCES.md (per-packet = a
 * pcapng whose interfaces have several link types), and every packet's D_LINK is one of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { readAll, sharedCaptures } from './helpers';
import { SHARED_PCAPS } from '../helpers/paths';
import { isRawIp, isSupportedLinkType, linkTypeName } from '../../src/io/linktypes';

/** capinfos/wiretap encapsulation names for the LINKTYPE numbers. */
const CAPINFOS: Record<number, string> = {
  0: 'null', 1: 'ether', 9: 'ppp', 12: 'rawip', 14: 'rawip', 101: 'rawip', 104: 'chdlc', 113: 'linux-sll',
  127: 'ieee-802-11-radiotap', 192: 'ppi', 228: 'rawip4', 229: 'rawip6', 239: 'nflog', 276: 'linux-sll2',
};

function sourcesLinkTypes(): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of fs.readFileSync(path.join(SHARED_PCAPS, 'SOURCES.md'), 'utf8').split('\n')) {
    const c = line.split('|').map((s) => s.trim());
    if (c.length > 10 && c[2] === 'capture' && c[8] !== '') m.set(c[1].replace(/`/g, ''), c[8]);
  }
  return m;
}

test('link types agree with capinfos for every shared capture', { timeout: 120_000 }, async () => {
  const truth = sourcesLinkTypes();
  const failures: string[] = [];
  let checked = 0;
  for (const { file } of sharedCaptures()) {
    const rel = path.relative(SHARED_PCAPS, file);
    const want = truth.get(rel);
    if (want === undefined) continue;
    const res = await readAll(file);
    assert.equal(res.error, null, rel);
    const seen = new Set(res.packets.map((p) => p.link));
    for (const l of seen) if (!res.linkTypes.includes(l)) failures.push(`${rel}: packet link ${l} not declared`);
    if (want === 'unknown') { checked++; continue; }   // capinfos prints unknown when there are no packets/IDBs
    const names = new Set(res.linkTypes.map((l) => CAPINFOS[l] ?? `?${l}`));
    const got = names.size > 1 ? 'per-packet' : [...names][0];
    if (got !== want) failures.push(`${rel}: ours ${got} (${res.linkTypes.join(',')}), capinfos ${want}`);
    checked++;
  }
  assert.deepEqual(failures, []);
  assert.ok(checked > 1100, `checked ${checked}`);
});

test('link type names and classes', () => {
  assert.equal(linkTypeName(1), 'ether');
  assert.equal(linkTypeName(113), 'sll');
  assert.equal(linkTypeName(276), 'sll2');
  assert.equal(linkTypeName(4242), 'linktype-4242');
  for (const raw of [12, 14, 101, 228, 229]) assert.ok(isRawIp(raw) && isSupportedLinkType(raw), String(raw));
  for (const ok of [0, 1, 108, 113, 276]) assert.ok(isSupportedLinkType(ok));
  for (const no of [9, 104, 127, 192, 239]) assert.ok(!isSupportedLinkType(no));
});
