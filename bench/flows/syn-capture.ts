/**
 * Fast writer of a capture with N distinct TCP flows (one SYN each): a 54-byte Ethernet/IPv4/TCP
 * template patched per packet (source address and port vary; checksums left zero, the engine
 * does not verify them by default). Used by test/flows/memory.test.ts (200k flows) and
 * bench/flows/memory.js (1M flows). Writes classic pcap, microsecond timestamps.
 */
import * as fs from 'fs';

export function writeSynCapture(file: string, flows: number, startSec = 1_700_000_000, stepUs = 1): void {
  const REC = 16 + 54;
  const chunkPkts = 65536;
  const fd = fs.openSync(file, 'w');
  try {
    const hdr = Buffer.alloc(24);
    hdr.writeUInt32LE(0xa1b2c3d4, 0); hdr.writeUInt16LE(2, 4); hdr.writeUInt16LE(4, 6);
    hdr.writeUInt32LE(65535, 16); hdr.writeUInt32LE(1, 20);
    fs.writeSync(fd, hdr);
    const buf = Buffer.alloc(chunkPkts * REC);
    for (let base = 0; base < flows; base += chunkPkts) {
      const n = Math.min(chunkPkts, flows - base);
      for (let k = 0; k < n; k++) {
        const i = base + k, o = k * REC;
        const us = i * stepUs;
        buf.writeUInt32LE(startSec + Math.floor(us / 1e6), o);
        buf.writeUInt32LE(us % 1e6, o + 4);
        buf.writeUInt32LE(54, o + 8); buf.writeUInt32LE(54, o + 12);
        const p = o + 16;
        // ethernet
        buf.fill(0, p, p + 54);
        buf[p + 0] = 2; buf[p + 5] = 2; buf[p + 6] = 2; buf[p + 11] = 1;
        buf.writeUInt16BE(0x0800, p + 12);
        // ipv4: 10.x.y.z -> 192.0.2.1
        const ip = p + 14;
        buf[ip] = 0x45; buf.writeUInt16BE(40, ip + 2); buf[ip + 8] = 64; buf[ip + 9] = 6;
        buf.writeUInt32BE(((10 << 24) | (((i >>> 14) & 0xffff) << 8)) >>> 0, ip + 12);
        buf.writeUInt32BE(0xc0000201, ip + 16);
        // tcp SYN from port 49152 + (i & 0x3fff) to 80
        const t = ip + 20;
        buf.writeUInt16BE(49152 + (i & 0x3fff), t); buf.writeUInt16BE(80, t + 2);
        buf.writeUInt32BE((i * 2654435761) >>> 0, t + 4);
        buf[t + 12] = 5 << 4; buf[t + 13] = 0x02; buf.writeUInt16BE(64240, t + 14);
      }
      fs.writeSync(fd, buf, 0, n * REC);
    }
  } finally {
    fs.closeSync(fd);
  }
}
