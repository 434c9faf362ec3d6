/**
 * Same packets whatever the transport and chunking:
 *  - a real child process reading '-' from a pipe reports the same digest as reading the path;
 *  - every shared capture read with a tiny chunk (forcing packets to straddle chunk ends, and
 *    chunk growth for packets bigger than the chunk) and batch size 1 gives exactly the packets
 *    of an 8 MiB chunk with batches of 500.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { digest, readAll, sharedCaptures } from './helpers';
import { ROOT, SHARED_PCAPS } from '../helpers/paths';

const HELPERS_JS = path.join(ROOT, 'dist', 'test', 'io', 'helpers.js');

test('stdin (-) through a pipe gives the same packets as the path', { timeout: 120_000 }, async () => {
  const caps = sharedCaptures();
  const chosen = [
    caps.find((c) => c.kind === 'pcap-usec' && fs.statSync(c.file).size > 1_000_000)!,
    caps.find((c) => c.kind === 'pcap-nsec')!,
    caps.find((c) => c.kind === 'pcapng' && fs.statSync(c.file).size > 100_000)!,
    caps.find((c) => c.file.endsWith('output_be/difficult/test201.pcapng'))!,
  ];
  for (const c of chosen) {
    assert.ok(c, 'sample capture found');
    const viaPath = digest(await readAll(c.file));
    const script = `require(${JSON.stringify(HELPERS_JS)}).readAll('-', { chunkSize: 4096 }).then(r => process.stdout.write(require(${JSON.stringify(HELPERS_JS)}).digest(r) + ' ' + r.packets.length))`;
    const out = spawnSync(process.execPath, ['-e', script], { input: fs.readFileSync(c.file), encoding: 'utf8', timeout: 60_000 });
    assert.equal(out.status, 0, out.stderr);
    const [dig, n] = out.stdout.split(' ');
    assert.ok(Number(n) > 0, `${c.file}: packets via stdin ${n}`);
    assert.equal(dig, viaPath, `${path.relative(SHARED_PCAPS, c.file)}: stdin vs path`);
  }
});

test('tiny chunks and batch size 1 give the same packets as big chunks, for every shared capture', { timeout: 300_000 }, async () => {
  const caps = sharedCaptures();
  let files = 0, packets = 0, straddled = 0;
  for (const c of caps) {
    const big = await readAll(c.file, { max: 500 });
    const small = await readAll(c.file, { chunkSize: 64 + (files % 7) * 100, max: files % 2 === 0 ? 1 : 37 });
    assert.equal(digest(small), digest(big), path.relative(SHARED_PCAPS, c.file));
    assert.deepEqual(small.blockCounts, big.blockCounts);
    files++;
    packets += big.packets.length;
    straddled += small.batches;
  }
  assert.ok(files > 1100 && packets > 100_000, `${files} files, ${packets} packets`);
  assert.ok(straddled > packets / 2);
});
