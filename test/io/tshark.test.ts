/**
 * Oracle: tshark. For a set of pcapng files chosen for their features (several interfaces with
 * mixed microsecond/nanosecond resolution, SLL/null/raw-IPv4 link types, DSB and ISB blocks, SPBs,
 * several sections in both byte orders, .pcap names holding pcapng), for the nanosecond classic
 * pcaps, and for synthetic pcapng files exercising if_tsresol powers of 2 and 10, if_tsoffset,
 * OPB and custom blocks: our timestamps (to the ns), wire and captured lengths and interface ids
 * equal `tshark -T fields -e frame.time_epoch -e frame.len -e frame.cap_len -e frame.interface_id`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { readAll, ReadResult } from './helpers';
import { SHARED_PCAPS } from '../helpers/paths';

const FILES = [
  'ndpi/dns-google-nsid.pcapng', 'ndpi/stun.pcap', 'ndpi/dtls.pcap', 'ndpi/kafka.pcapng',
  'ndpi/rtsp.pcap', 'ndpi/pgsql2.pcapng', 'ndpi/ossfuzz_seed_fake_traces_1.pcapng',
  'ndpi/stun_google_meet.pcapng', 'ndpi/anydesk.pcapng', 'zeek/pcapng-multi-interface/pcapng-multi-interface.pcapng',
  'pcapng-test-generator/output_le/difficult/test201.pcapng', 'pcapng-test-generator/output_be/difficult/test201.pcapng',
  'pcapng-test-generator/output_le/advanced/test100.pcapng', 'pcapng-test-generator/output_be/basic/test012.pcapng',
  'zeek/vntag/vntag.pcap', 'ndpi/someip_sd_sample.pcap',
];

function tshark(file: string, pcapng = true): string[][] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.interface_id'],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `tshark failed on ${file}: ${r.stderr}`);
  // Recent tshark also shows custom blocks as frames, without an interface id: not packets.
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t')).filter((f) => !pcapng || f[3] !== '');
}

function compare(name: string, ours: ReadResult, theirs: string[][]): void {
  assert.equal(ours.error, null, `${name}: ${ours.error?.message}`);
  assert.equal(ours.packets.length, theirs.length, `${name}: packet count`);
  for (let i = 0; i < theirs.length; i++) {
    const [ts, len, cap, ifid] = theirs[i];
    const p = ours.packets[i];
    // SPBs carry no timestamp: tshark prints an empty field, we deliver 0.
    const ourTs = ts === '' ? '' : `${p.sec}.${String(p.nsec).padStart(9, '0')}`;
    const want = ts === '' ? '' : (ts.includes('.') ? ts : `${ts}.000000000`);
    if (ts !== '') assert.equal(ourTs, want, `${name} packet ${i + 1}: time`);
    else assert.deepEqual([p.sec, p.nsec], [0, 0], `${name} packet ${i + 1}: SPB time`);
    assert.equal(p.wirelen, Number(len), `${name} packet ${i + 1}: frame.len`);
    assert.equal(p.caplen, Number(cap), `${name} packet ${i + 1}: frame.cap_len`);
    if (ours.format === 'pcapng') assert.equal(p.ifindex, Number(ifid), `${name} packet ${i + 1}: interface`);
  }
}

test('shared pcapng and nanosecond captures: timestamps, lengths and interfaces equal tshark', { timeout: 120_000 }, async () => {
  let packets = 0;
  for (const rel of FILES) {
    const file = path.join(SHARED_PCAPS, rel);
    const ours = await readAll(file);
    compare(rel, ours, tshark(file, ours.format === 'pcapng'));
    packets += ours.packets.length;
  }
  assert.ok(packets > 1000, `packets compared: ${packets}`);
});

// --- synthetic pcapng (built here so the resolution/offset/OPB paths meet a real oracle) ---

function pad4(n: number): number { return (n + 3) & ~3; }

class NgBuilder {
  parts: Buffer[] = [];
  constructor(private le: boolean) {}
  private u32(b: Buffer, o: number, v: number) { if (this.le) b.writeUInt32LE(v >>> 0, o); else b.writeUInt32BE(v >>> 0, o); }
  private u16(b: Buffer, o: number, v: number) { if (this.le) b.writeUInt16LE(v, o); else b.writeUInt16BE(v, o); }
  block(type: number, body: Buffer): this {
    const len = 12 + pad4(body.length);
    const b = Buffer.alloc(len);
    this.u32(b, 0, type); this.u32(b, 4, len); body.copy(b, 8); this.u32(b, len - 4, len);
    this.parts.push(b);
    return this;
  }
  option(code: number, value: Buffer): Buffer {
    const b = Buffer.alloc(4 + pad4(value.length));
    this.u16(b, 0, code); this.u16(b, 2, value.length); value.copy(b, 4);
    return b;
  }
  shb(): this {
    const b = Buffer.alloc(16);
    this.u32(b, 0, 0x1a2b3c4d); this.u16(b, 4, 1); this.u16(b, 6, 0);
    b.writeInt32LE(-1, 8); b.writeInt32LE(-1, 12);
    return this.block(0x0a0d0d0a, b);
  }
  idb(linktype: number, snaplen: number, tsresol: number | null, tsoffset: bigint | null): this {
    const h = Buffer.alloc(8);
    this.u16(h, 0, linktype); this.u32(h, 4, snaplen);
    const opts: Buffer[] = [h];
    if (tsresol !== null) opts.push(this.option(9, Buffer.from([tsresol])));
    if (tsoffset !== null) {
      const v = Buffer.alloc(8);
      if (this.le) v.writeBigInt64LE(tsoffset); else v.writeBigInt64BE(tsoffset);
      opts.push(this.option(14, v));
    }
    opts.push(Buffer.alloc(4));
    return this.block(1, Buffer.concat(opts));
  }
  epb(ifid: number, ts: bigint, data: Buffer, wirelen = data.length, opb = false): this {
    const h = Buffer.alloc(20);
    if (opb) { this.u16(h, 0, ifid); this.u16(h, 2, 0); } else this.u32(h, 0, ifid);
    this.u32(h, 4, Number(ts >> 32n)); this.u32(h, 8, Number(ts & 0xffffffffn));
    this.u32(h, 12, data.length); this.u32(h, 16, wirelen);
    return this.block(opb ? 2 : 6, Buffer.concat([h, data, Buffer.alloc(pad4(data.length) - data.length)]));
  }
  bytes(): Buffer { return Buffer.concat(this.parts); }
}

function frame(n: number, len: number): Buffer {
  // A plausible Ethernet + IPv4 header followed by filler, enough for tshark to show a frame.
  const b = Buffer.alloc(len, n & 0xff);
  Buffer.from('ffffffffffff0200000000010800', 'hex').copy(b, 0);
  return b;
}

test('synthetic pcapng: if_tsresol 10^-k and 2^-k, if_tsoffset, OPB, custom/DSB blocks, both byte orders, equal tshark', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-io-ng-'));
  try {
    for (const le of [true, false]) {
      const b = new NgBuilder(le).shb()
        .idb(1, 0, null, null)                 // default microseconds
        .idb(1, 128, 3, null)                  // milliseconds, snaplen 128
        .idb(1, 0, 9, 1000n)                   // nanoseconds with offset +1000 s
        .idb(1, 0, 0x80 | 20, null)            // 2^-20 s
        .idb(1, 0, 0x80 | 10, -100n)           // 2^-10 s with a negative offset
        .idb(1, 0, 0, null);                   // whole seconds
      const cb = Buffer.alloc(16);
      if (le) cb.writeUInt32LE(32473, 0); else cb.writeUInt32BE(32473, 0);   // PEN 32473: documentation
      cb.write('custom data!', 4, 'latin1');
      b.block(0x00000bad, cb);
      const dsb = Buffer.alloc(12);
      if (le) { dsb.writeUInt32LE(0x544c534b, 0); dsb.writeUInt32LE(4, 4); } else { dsb.writeUInt32BE(0x544c534b, 0); dsb.writeUInt32BE(4, 4); }
      dsb.write('abcd', 8, 'latin1');
      b.block(0x0000000a, dsb);
      b.epb(0, 1704164645123456n, frame(1, 60))
        .epb(1, 1704164645123n, frame(2, 100), 1500)
        .epb(2, 1704164645987654321n, frame(3, 64))
        .epb(3, (1704164645n << 20n) + 524288n + 3n, frame(4, 70))
        .epb(4, (1704164645n << 10n) + 1023n, frame(5, 72))
        .epb(5, 1704164645n, frame(6, 80))
        .epb(0, 1704164646000001n, frame(7, 90), 90, true)     // OPB
        .epb(2, 0xfffffffn * 1000000000n + 999999999n, frame(8, 60));
      const file = path.join(dir, `synthetic-${le ? 'le' : 'be'}.pcapng`);
      fs.writeFileSync(file, b.bytes());
      const ours = await readAll(file);
      compare(path.basename(file), ours, tshark(file));
      assert.deepEqual(ours.blockCounts, { SHB: 1, IDB: 6, CB: 1, DSB: 1, EPB: 7, OPB: 1 });
      // Independent expectations for the arithmetic (tshark agrees above, this pins the values).
      assert.deepEqual([ours.packets[2].sec, ours.packets[2].nsec], [1704164645 + 1000, 987654321]);
      assert.deepEqual([ours.packets[3].sec, ours.packets[3].nsec], [1704164645, 500002861]);
      assert.deepEqual([ours.packets[4].sec, ours.packets[4].nsec], [1704164645 - 100, 999023437]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
