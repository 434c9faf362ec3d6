/**
 * EVE JSON: Suricata-compatible event lines (one JSON object per line) for flow, http, dns and
 * stats events, so existing EVE consumers (jq scripts, Filebeat's Suricata module, Splunk/ELK
 * dashboards) read Quell's output unchanged. Field names follow Suricata 7's EVE format wherever
 * the concept is shared; the full schema is in docs/eve.md.
 *
 * formatEve(ev) turns one engine event (src/engine/pipeline.ts) into one line (no newline).
 * It allocates strings: output time only, never on the packet path. EveWriter writes lines to a
 * file or stdout with back-pressure (await write()).
 */
import * as fs from 'fs';
import type { EngineEvent } from '../engine/types';

/** Suricata's timestamp format: 2009-11-24T21:28:10.123456+0000 (UTC here). */
export function eveTimestamp(us: number): string {
  const ms = Math.floor(us / 1000);
  const d = new Date(ms);
  const iso = d.toISOString(); // 2009-11-24T21:28:10.123Z
  const frac = String(Math.floor(us) % 1000000).padStart(6, '0');
  return `${iso.slice(0, 19)}.${frac}+0000`;
}

/** EVE proto field: Suricata writes the protocol name in upper case ("TCP", "UDP", "ICMP", "IPv6-ICMP"). */
export function eveProto(p: number): string {
  switch (p) {
    case 6: return 'TCP';
    case 17: return 'UDP';
    case 1: return 'ICMP';
    case 58: return 'IPv6-ICMP';
    case 47: return 'GRE';
    case 132: return 'SCTP';
    default: return String(p);
  }
}

function hasPorts(p: number): boolean { return p === 6 || p === 17 || p === 132; }

/** Header fields shared by every event about a flow. */
function header(ev: EngineEvent, tsUs: number): Record<string, unknown> {
  const o: Record<string, unknown> = { timestamp: eveTimestamp(tsUs), flow_id: ev.flow_id, event_type: ev.event_type };
  const vlan = ev.vlan as number[] | undefined;
  if (vlan && vlan.length) o.vlan = vlan;
  const proto = ev.proto as number;
  o.src_ip = ev.src_ip;
  if (hasPorts(proto)) o.src_port = ev.src_port;
  o.dest_ip = ev.dest_ip;
  if (hasPorts(proto)) o.dest_port = ev.dest_port;
  o.proto = eveProto(proto);
  return o;
}

interface FlowEv {
  app: string | null; pkts_toserver: number; pkts_toclient: number; bytes_toserver: number; bytes_toclient: number;
  startUs: number; endUs: number; state: string; reason: string; tcp_state: string | null;
  truncated: boolean; gap: boolean; midstream: boolean; proto: number; alerted?: boolean;
}

interface DnsRec {
  id: number; qr: boolean; opcode: number; rcode: string; flags: string; tc: boolean;
  query: string; qtype: string; answer_rrs: { rrname: string; rrtype: string; ttl: number; rdata: string }[];
}

/** One EVE line for an engine event, or null for event types EVE does not carry. */
export function formatEve(ev: EngineEvent): string | null {
  switch (ev.event_type) {
    case 'flow': {
      const f = ev as unknown as FlowEv & EngineEvent;
      // Suricata stamps flow records with the flow's start time
      const o = header(ev, f.startUs);
      if (f.app) o.app_proto = f.app;
      const flow: Record<string, unknown> = {
        pkts_toserver: f.pkts_toserver, pkts_toclient: f.pkts_toclient,
        bytes_toserver: f.bytes_toserver, bytes_toclient: f.bytes_toclient,
        start: eveTimestamp(f.startUs), end: eveTimestamp(f.endUs),
        age: Math.round((f.endUs - f.startUs) / 1e6), state: f.state, reason: f.reason, alerted: f.alerted === true,
      };
      o.flow = flow;
      if (f.proto === 6) {
        const tcp: Record<string, unknown> = { state: f.tcp_state };
        if (f.midstream) tcp.midstream = true;
        if (f.gap) tcp.gap = true;
        if (f.truncated) tcp.reassembly_depth_reached = true;
        o.tcp = tcp;
      }
      return JSON.stringify(o);
    }
    case 'http': {
      const o = header(ev, Number(ev.tsNs / 1000n));
      if (ev.tx_id !== undefined) o.tx_id = ev.tx_id;
      o.app_proto = 'http';
      o.http = ev.http;
      return JSON.stringify(o);
    }
    case 'dns': {
      const o = header(ev, Number(ev.tsNs / 1000n));
      o.app_proto = 'dns';
      o.dns = eveDns(ev.dns as DnsRec);
      return JSON.stringify(o);
    }
    case 'stats': {
      return JSON.stringify({ timestamp: eveTimestamp(Number(ev.tsNs / 1000n)), event_type: 'stats', stats: ev.stats });
    }
    case 'alert': case 'drop': case 'anomaly': {
      // detection events are built by their producer in EVE shape already
      const o = header(ev, Number(ev.tsNs / 1000n));
      for (const k of Object.keys(ev)) {
        if (k in o || k === 'tsNs' || k === 'ord' || k === 'seq' || k === 'cls' || k === 'kEnd' || k === 'kStart' || k === 'kId' || k === 'vlan') continue;
        o[k] = ev[k];
      }
      return JSON.stringify(o);
    }
    default: return null;
  }
}

/** Suricata 7 DNS logging, version 2: one "query" record per request, one "answer" record per response. */
function eveDns(d: DnsRec): Record<string, unknown> {
  if (!d.qr) {
    return { type: 'query', id: d.id, rrname: d.query, rrtype: d.qtype, tx_id: 0, opcode: d.opcode };
  }
  const fl = parseInt(d.flags, 16) || 0;
  const o: Record<string, unknown> = { version: 2, type: 'answer', id: d.id, flags: d.flags, qr: true };
  if (fl & 0x0400) o.aa = true;
  if (fl & 0x0200) o.tc = true;
  if (fl & 0x0100) o.rd = true;
  if (fl & 0x0080) o.ra = true;
  o.opcode = d.opcode;
  if (d.query) { o.rrname = d.query; o.rrtype = d.qtype; }
  o.rcode = d.rcode;
  if (d.answer_rrs.length) {
    o.answers = d.answer_rrs;
    const grouped: Record<string, string[]> = {};
    for (const a of d.answer_rrs) (grouped[a.rrtype] ??= []).push(a.rdata);
    o.grouped = grouped;
  }
  return o;
}

/** Line writer with back-pressure. '-' writes to stdout. */
export class EveWriter {
  private readonly stream: NodeJS.WritableStream;
  private readonly isStdout: boolean;
  lines = 0;
  constructor(path: string) {
    this.isStdout = path === '-';
    this.stream = this.isStdout ? process.stdout : fs.createWriteStream(path);
    // a closed pipe (quell replay ... | head) ends output quietly instead of crashing
    this.stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') { this.broken = true; const w = this.waiter; this.waiter = null; if (w) w(); return; }
      this.error = e;
    });
  }
  private broken = false;
  private error: Error | null = null;
  private waiter: (() => void) | null = null;
  /** Write lines (each without newline); resolves when the stream can take more. */
  async write(lines: string[]): Promise<void> {
    if (this.error) throw this.error;
    if (lines.length === 0 || this.broken) return;
    this.lines += lines.length;
    const ok = this.stream.write(lines.join('\n') + '\n');
    if (!ok && !this.broken) {
      await new Promise<void>((res) => { this.waiter = res; this.stream.once('drain', () => { this.waiter = null; res(); }); });
    }
  }
  async close(): Promise<void> {
    if (this.isStdout || this.broken) return;
    await new Promise<void>((res, rej) => {
      (this.stream as fs.WriteStream).end((err?: Error | null) => (err ? rej(err) : res()));
    });
  }
}
