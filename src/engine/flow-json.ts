/**
 * `quell flows` record: one JSON line per ended flow (schema in docs/flows.md, stable).
 * Output time only (allocates strings).
 */
import type { EngineEvent } from './types';

export function protoName(p: number): string {
  switch (p) {
    case 6: return 'tcp';
    case 17: return 'udp';
    case 1: return 'icmp';
    case 58: return 'icmpv6';
    case 47: return 'gre';
    case 132: return 'sctp';
    default: return String(p);
  }
}

/** ISO 8601 UTC with microseconds: 2024-01-02T03:04:05.123456Z */
let cacheSec = -1, cachePrefix = '', cacheDay = -1, cacheDayPrefix = '';
/** "00".."59" and "000".."999": the time fields without String()/padStart per call. */
const D2 = Array.from({ length: 60 }, (_, i) => (i < 10 ? '0' : '') + i);
const D3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** 10000-01-01T00:00:00Z in µs: Date.toISOString() switches to 6-digit years there. */
const ISO_MAX_US = 253402300800e6;
export function isoUs(us: number): string {
  // pre-1970, fractional or far-future values keep the general path (same text as before)
  if (!(us >= 0 && us < ISO_MAX_US) || us !== Math.floor(us)) return isoUsSlow(us);
  const sec = Math.floor(us / 1e6);
  // Consecutive records mostly share the second, and nearly always the day: the date part is
  // formatted by Date once per day, hh:mm:ss from a table once per second (flow lines at the end
  // of input come in end-time order, their start times jump around: a Date per start time was
  // most of this function's cost).
  if (sec !== cacheSec) {
    cacheSec = sec;
    const day = Math.floor(sec / 86400);
    if (day !== cacheDay) { cacheDay = day; cacheDayPrefix = new Date(day * 86400000).toISOString().slice(0, 11); }
    const t = sec - day * 86400, h = Math.floor(t / 3600), m = Math.floor((t - h * 3600) / 60);
    cachePrefix = cacheDayPrefix + D2[h] + ':' + D2[m] + ':' + D2[t - h * 3600 - m * 60] + '.';
  }
  const frac = us - sec * 1e6, ms = Math.floor(frac / 1000);
  return cachePrefix + D3[ms] + D3[frac - ms * 1000] + 'Z';
}

function isoUsSlow(us: number): string {
  const sec = Math.floor(us / 1e6);
  return `${new Date(sec * 1000).toISOString().slice(0, 19)}.${String(Math.floor(us) % 1000000).padStart(6, '0')}Z`;
}

/**
 * The flows line for a flow event, null for other events.
 * JSON.stringify of a fresh object, on purpose: writing the line field by field with string
 * concatenation gave the same bytes but made `quell flows` slower (big.pcap, 9 interleaved runs,
 * CPU medians 1.06 s vs 1.02 s): the concatenations build cons-strings that the batch's
 * lines.join() then flattens, and they run in V8's baseline tier for most of a one-shot run
 * (14,000 lines), whereas JSON.stringify writes one flat string in C++.
 */
export function formatFlowLine(ev: EngineEvent): string | null {
  if (ev.event_type !== 'flow') return null;
  const e = ev as Record<string, unknown>;
  return JSON.stringify({
    src: e.src_ip, sport: e.src_port, dst: e.dest_ip, dport: e.dest_port,
    proto: protoName(e.proto as number), vlan: e.vlan, app: e.app,
    pkts_toserver: e.pkts_toserver, pkts_toclient: e.pkts_toclient,
    bytes_toserver: e.bytes_toserver, bytes_toclient: e.bytes_toclient,
    start: isoUs(e.startUs as number), end: isoUs(e.endUs as number), state: e.state,
    http: e.http, dns: e.dns, socks: e.socks,
  });
}
