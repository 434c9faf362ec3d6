/**
 * tshark oracle for `quell decode` (used by oracle.test.ts and runnable alone for a full report:
 * `node dist/test/decode/oracle.js [--verbose]`).
 *
 * Our side: every capture under SHARED_PCAPS is read with openCapture and each packet decoded and
 * printed by the very code `quell decode` runs (decodePacket + packetJson), then parsed back from
 * its JSON line. Reassembly is off, like tshark's with the -o options below.
 *
 * tshark side: tshark takes ~0.35 s to start, so captures are concatenated in groups with
 * `mergecap -a` (file order kept) and tshark runs once per group with every field we need. When a
 * group's packet count differs from ours (a broken file that one side reads further than the
 * other), that group falls back to one tshark run per file, compared up to the shorter count.
 *
 * Field semantics aligned with tshark:
 * - only the OUTERMOST IP layer is compared (tshark lists every layer comma-separated: tunnels,
 *   ICMP error payloads): first occurrence of each field;
 * - IPv6 protocol = the upper layer after extension headers: ipv6.nxt followed through
 *   hopopts/routing/fraghdr/dstopts/ah next-header fields in order;
 * - fragments (MF or offset, IPv4 or IPv6): only IP fields compared (we decode no L4 on fragments;
 *   tshark decodes the first fragment's L4 header);
 * - payload length = L4 payload bytes: tcp.len, udp.length - 8. When the capture snapped the packet
 *   (frame.cap_len < frame.len) ours counts bytes present, so ours <= tshark's is required;
 * - TCP flags: the low 8 bits of tcp.flags (tshark includes the NS/AE bit);
 * - ICMP/ICMPv6: type/code of the outer message (error messages quote an inner IP packet whose
 *   fields tshark lists after the outer ones).
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { openCapture } from '../../src/io/capture';
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_TS_SEC, D_TS_NSEC, D_LINK } from '../../src/io/batch';
import { PacketView } from '../../decoders/packet';
import { decodePacket, DecodeContext } from '../../decoders/decode';
import { EV } from '../../decoders/events';
import { packetJson } from '../../src/cli/commands/decode';
import { SHARED_PCAPS } from '../helpers/paths';

export const TSHARK_FIELDS = [
  'frame.len', 'frame.cap_len', 'frame.protocols',
  'ip.version', 'ip.src', 'ip.dst', 'ip.proto', 'ip.ttl', 'ip.flags.mf', 'ip.frag_offset',
  'ipv6.src', 'ipv6.dst', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.hopopts.nxt', 'ipv6.routing.nxt', 'ipv6.fraghdr.nxt',
  'ipv6.dstopts.nxt', 'ah.next_header', 'ipv6.fraghdr.offset', 'ipv6.fraghdr.more',
  'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.len', 'udp.srcport', 'udp.dstport', 'udp.length',
  'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code',
] as const;
const F: Record<string, number> = Object.fromEntries(TSHARK_FIELDS.map((f, i) => [f, i]));
export const TSHARK_OPTS = ['-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE'];

/** Our view of one packet, parsed from the `quell decode` JSON line. null = link type unsupported. */
interface Ours {
  v: number; src: string; dst: string; proto: number; ttl: number; frag: boolean;
  l4: string; sport: number; dport: number; flags: number; payload: number; icmp: string;
}

export interface Disagreement { file: string; n: number; field: string; ours: string; tshark: string }
export interface FileReport { file: string; compared: number; bad: number; ours: number; theirs: number; readError: string | null }
export interface OracleReport { files: FileReport[]; compared: number; bad: number; skipped: number; disagreements: Disagreement[] }

/** Capture files under dir (by magic number, never by name). */
export function listCaptures(dir: string = SHARED_PCAPS): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && isCapture(p)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function isCapture(p: string): boolean {
  const fd = fs.openSync(p, 'r');
  try {
    const b = Buffer.alloc(4);
    if (fs.readSync(fd, b, 0, 4, 0) < 4) return false;
    const m = b.readUInt32BE(0);
    return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1 || m === 0x0a0d0d0a;
  } finally { fs.closeSync(fd); }
}

const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128 };

/** Decode a file the way `quell decode --no-reassemble --no-checksums` does and parse the JSON back. */
export async function decodeOurs(file: string): Promise<{ pkts: (Ours | null)[]; error: string | null }> {
  const pkts: (Ours | null)[] = [];
  const v = new PacketView();
  const ctx = new DecodeContext(0, null);
  ctx.tunnels = false;            // the outermost IP layer, like `quell decode` without --tunnels
  let error: string | null = null;
  let r;
  try { r = await openCapture(file); } catch (e) { return { pkts, error: (e as Error).message }; }
  try {
    for (;;) {
      let b;
      try { b = await r.next(1024); } catch (e) { error = (e as Error).message; break; }
      if (b === null) break;
      for (let i = 0; i < b.count; i++) {
        const d = i * DESC_STRIDE;
        decodePacket(v, b.data, b.desc[d + D_OFF], b.desc[d + D_CAPLEN], b.desc[d + D_WIRELEN], b.desc[d + D_LINK],
          b.desc[d + D_TS_SEC], b.desc[d + D_TS_NSEC], ctx);
        if (v.hasEvent(EV['link.unsupported'])) { pkts.push(null); continue; }
        const j = JSON.parse(packetJson(v, pkts.length + 1, 'x', false));
        const ip = j.ip, l4 = j.tcp ?? j.udp;
        let flags = 0;
        if (j.tcp) for (const c of j.tcp.flags as string) flags |= FLAG_BITS[c];
        pkts.push({
          v: ip ? ip.v : 0, src: ip ? ip.src : '', dst: ip ? ip.dst : '', proto: ip ? ip.proto : -1, ttl: ip ? ip.ttl : -1,
          frag: ip ? (ip.mf || ip.frag_off > 0) : false,
          l4: j.tcp ? 'tcp' : j.udp ? 'udp' : '', sport: l4 ? l4.sport : -1, dport: l4 ? l4.dport : -1, flags,
          payload: j.payload_len, icmp: j.icmp ? `${j.icmp.type}/${j.icmp.code}` : '',
        });
      }
      r.complete(b);
    }
  } finally { await r.close(); }
  return { pkts, error };
}

/** Run tshark over one file; rows of fields (first occurrence lists kept whole). */
function tsharkRows(file: string): string[][] {
  const args = ['-n', '-r', file, ...TSHARK_OPTS, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of TSHARK_FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 600_000 });
  if (r.error) throw r.error;
  const lines = (r.stdout ?? '').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.split('\t'));
}

function first(s: string | undefined): string { if (!s) return ''; const i = s.indexOf(','); return i < 0 ? s : s.slice(0, i); }
function all(s: string | undefined): string[] { return s ? s.split(',') : []; }

/** Canonical form of an IPv6 address (8 groups of 4 hex digits) or the IPv4 text as is. */
export function canonIp(s: string): string {
  if (!s.includes(':')) return s;
  let tail: string[] = [];
  let t = s;
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    const q = m[2].split('.').map(Number);
    tail = [((q[0] << 8) | q[1]).toString(16), ((q[2] << 8) | q[3]).toString(16)];
    t = m[1].endsWith('::') ? m[1] : m[1].slice(0, -1);
  }
  const [a, b] = t.split('::');
  const left = a ? a.split(':') : [];
  const right = b !== undefined ? (b ? b.split(':') : []) : [];
  const groups = b !== undefined ? [...left, ...Array(8 - left.length - right.length - tail.length).fill('0'), ...right, ...tail] : [...left, ...tail];
  return groups.map((g) => g.padStart(4, '0').toLowerCase()).join(':');
}

const EXT_FIELD: Record<number, string> = { 0: 'ipv6.hopopts.nxt', 43: 'ipv6.routing.nxt', 44: 'ipv6.fraghdr.nxt', 60: 'ipv6.dstopts.nxt', 51: 'ah.next_header' };

/** Compare one packet; push disagreements. */
function comparePacket(file: string, n: number, o: Ours, t: string[], out: Disagreement[]): boolean {
  const before = out.length;
  const diff = (field: string, ours: unknown, theirs: unknown): void => {
    if (String(ours) !== String(theirs)) out.push({ file, n, field, ours: String(ours), tshark: String(theirs) });
  };
  const protos = t[F['frame.protocols']] ?? '';
  const layers = protos.split(':');
  const i4 = layers.indexOf('ip'), i6 = layers.indexOf('ipv6');
  const tv = i4 < 0 && i6 < 0 ? 0 : i6 < 0 || (i4 >= 0 && i4 < i6) ? 4 : 6;
  diff('v', o.v, tv);
  if (tv === 0 || o.v !== tv) return out.length === before;
  let proto: number, ttl: string, src: string, dst: string, frag: boolean;
  if (tv === 4) {
    src = first(t[F['ip.src']]); dst = first(t[F['ip.dst']]);
    proto = Number(first(t[F['ip.proto']])); ttl = first(t[F['ip.ttl']]);
    frag = first(t[F['ip.flags.mf']]) === '1' || (first(t[F['ip.frag_offset']]) !== '0' && first(t[F['ip.frag_offset']]) !== '');
  } else {
    frag = false;
    src = first(t[F['ipv6.src']]); dst = first(t[F['ipv6.dst']]);
    ttl = first(t[F['ipv6.hlim']]);
    proto = Number(first(t[F['ipv6.nxt']]));
    const used: Record<string, number> = {};
    for (let k = 0; k < 16 && EXT_FIELD[proto] !== undefined; k++) {
      const f = EXT_FIELD[proto];
      const vals = all(t[F[f]]);
      const idx = used[f] ?? 0;
      if (idx >= vals.length) break;
      used[f] = idx + 1;
      const next = Number(vals[idx]);
      if (proto === 44) {
        const off = all(t[F['ipv6.fraghdr.offset']])[idx], more = all(t[F['ipv6.fraghdr.more']])[idx];
        if ((off !== undefined && off !== '0') || more === '1' || more === 'True') { proto = next; frag = true; break; }
      }
      proto = next;
    }
  }
  diff('src', canonIp(o.src), canonIp(src));
  diff('dst', canonIp(o.dst), canonIp(dst));
  diff('proto', o.proto, proto);
  diff('ttl', o.ttl, ttl);
  diff('frag', o.frag, frag);
  if (frag || o.frag) return out.length === before;
  const snapped = Number(t[F['frame.cap_len']]) < Number(t[F['frame.len']]);
  const payload = (theirs: number): void => {
    if (snapped ? !(o.payload <= theirs) : o.payload !== theirs) diff('payload_len', o.payload, theirs);
  };
  if (proto === 6) {
    const sp = first(t[F['tcp.srcport']]);
    diff('l4', o.l4, sp ? 'tcp' : '');
    if (sp && o.l4 === 'tcp') {
      diff('sport', o.sport, sp);
      diff('dport', o.dport, first(t[F['tcp.dstport']]));
      diff('flags', o.flags, Number(first(t[F['tcp.flags']])) & 0xff);
      payload(Number(first(t[F['tcp.len']])));
    }
  } else if (proto === 1 || proto === 58) {
    // ICMP error messages quote the offending packet: first occurrence = the outer message
    const ty = first(t[F[proto === 1 ? 'icmp.type' : 'icmpv6.type']]), co = first(t[F[proto === 1 ? 'icmp.code' : 'icmpv6.code']]);
    diff('icmp', o.icmp, ty === '' ? '' : `${ty}/${co}`);
  } else if (proto === 17) {
    const sp = first(t[F['udp.srcport']]);
    diff('l4', o.l4, sp ? 'udp' : '');
    if (sp && o.l4 === 'udp') {
      diff('sport', o.sport, sp);
      diff('dport', o.dport, first(t[F['udp.dstport']]));
      payload(Number(first(t[F['udp.length']])) - 8);
    }
  }
  return out.length === before;
}

interface FileData { file: string; pkts: (Ours | null)[]; error: string | null }

function compareFile(fd: FileData, rows: string[][], rep: OracleReport): void {
  const fr: FileReport = { file: fd.file, compared: 0, bad: 0, ours: fd.pkts.length, theirs: rows.length, readError: fd.error };
  const n = Math.min(fd.pkts.length, rows.length);
  for (let i = 0; i < n; i++) {
    const o = fd.pkts[i];
    if (o === null) { rep.skipped++; continue; }
    fr.compared++;
    if (!comparePacket(path.relative(SHARED_PCAPS, fd.file), i + 1, o, rows[i], rep.disagreements)) fr.bad++;
  }
  rep.compared += fr.compared;
  rep.bad += fr.bad;
  rep.files.push(fr);
}

/** Run the whole oracle over `files` (groups of GROUP files per tshark run). */
export async function runOracle(files: string[], group = 150): Promise<OracleReport> {
  const rep: OracleReport = { files: [], compared: 0, bad: 0, skipped: 0, disagreements: [] };
  const tmp = fs.mkdtempSync('/tmp/quell-oracle-');
  try {
    for (let g = 0; g < files.length; g += group) {
      const chunk = files.slice(g, g + group);
      const datas: FileData[] = [];
      for (const f of chunk) datas.push({ file: f, ...(await decodeOurs(f)) });
      const merged = path.join(tmp, `g${g}.pcapng`);
      const m = spawnSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...chunk], { encoding: 'utf8', timeout: 120_000 });
      const rows = m.status === 0 ? tsharkRows(merged) : [];
      fs.rmSync(merged, { force: true });
      const ours = datas.reduce((s, d) => s + d.pkts.length, 0);
      if (m.status === 0 && rows.length === ours && datas.every((d) => d.error === null)) {
        let k = 0;
        for (const d of datas) { compareFile(d, rows.slice(k, k + d.pkts.length), rep); k += d.pkts.length; }
      } else {
        for (const d of datas) compareFile(d, d.pkts.length ? tsharkRows(d.file) : [], rep);
      }
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
  return rep;
}

if (require.main === module) {
  const verbose = process.argv.includes('--verbose');
  runOracle(listCaptures()).then((rep) => {
    for (const f of rep.files) {
      if (f.bad > 0 || verbose) console.log(`${path.relative(SHARED_PCAPS, f.file)}: compared ${f.compared}, disagree ${f.bad}, ours ${f.ours}, tshark ${f.theirs}${f.readError ? ' read error: ' + f.readError : ''}`);
    }
    for (const d of rep.disagreements.slice(0, 2000)) console.log(`  ${d.file} n=${d.n} ${d.field}: ours=${d.ours} tshark=${d.tshark}`);
    console.log(`TOTAL compared ${rep.compared} disagree ${rep.bad} (${(100 * (1 - rep.bad / Math.max(1, rep.compared))).toFixed(3)}% agree), skipped (unsupported link) ${rep.skipped}`);
  });
}
