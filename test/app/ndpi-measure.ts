/**
 * Measure detectApp() against nDPI's labels (shared/pcaps/ndpi/*.out). Used by
 * detect-ndpi.test.ts and runnable directly for docs:  node dist/test/app/ndpi-measure.js [-v]
 */
import * as fs from 'fs';
import * as path from 'path';
import { SHARED_PCAPS } from '../helpers/paths';
import { readFlows, tcpStream, TestFlow } from './flowdata';
import { detectApp, guessAppByPort, APP_HTTP, APP_DNS, APP_NONE, APP_NEED_MORE } from '../../decoders/app/detect';

export interface NdpiLine { proto: string; e1: string; e2: string; label: string; master: string; app: string }

/** nDPI flow lines: "  1\tTCP 1.2.3.4:80 <-> 5.6.7.8:1234 [proto: 7.126/HTTP.Google]..." */
export function parseNdpiOut(text: string): NdpiLine[] {
  const out: NdpiLine[] = [];
  const re = /^\s*\d+\s+(TCP|UDP)\s+(\S+)\s+<?->\s+(\S+)\s+(?:\[VLAN: \d+\]\s*)?\[proto: (?:[A-Za-z]+:)?[\d.]+\/([^\]]+)\]/;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const label = m[4];
    const parts = label.split('.');
    out.push({ proto: m[1], e1: m[2], e2: m[3], label, master: parts[0], app: parts[1] ?? '' });
  }
  return out;
}

function normEp(ep: string): string {
  // "1.2.3.4:80" or "[2001:db8::1]:80"
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(ep);
  if (!m) return ep;
  let a = m[1];
  if (a.includes(':')) a = expand6(a);
  return `${a}:${m[2]}`;
}
function expand6(a: string): string {
  const [h, t] = a.includes('::') ? a.split('::') : [a, undefined];
  const hs = h ? h.split(':') : [];
  const ts = t !== undefined ? (t ? t.split(':') : []) : [];
  const fill = t !== undefined ? new Array(8 - hs.length - ts.length).fill('0') : [];
  return [...hs, ...fill, ...ts].map((x) => parseInt(x || '0', 16).toString(16)).join(':');
}
export function flowKey(proto: string, e1: string, e2: string): string {
  const a = normEp(e1), b = normEp(e2);
  return `${proto}|${a < b ? a + '|' + b : b + '|' + a}`;
}

/** What quell's detection says for a test flow: 'http' | 'dns' | null. Client direction first, then server. */
export function classify(f: TestFlow, portFallback = true): string | null {
  const c = classifyContent(f);
  if (c !== null || !portFallback) return c;
  // port guess only when the content could not be seen: no payload at all, or a TCP flow picked
  // up midstream (its first bytes were not captured)
  const noPayload = !f.dirs[0].datagrams.length && !f.dirs[1].datagrams.length && !f.dirs[0].segs.length && !f.dirs[1].segs.length;
  const midstream = f.proto === 6 && f.dirs[0].isn < 0 && f.dirs[1].isn < 0;
  const g = guessAppByPort(f.proto, f.ap, f.bp, !noPayload && !midstream);
  return g === APP_HTTP ? 'http' : g === APP_DNS ? 'dns' : null;
}

export function classifyContent(f: TestFlow): string | null {
  const proto = f.proto;
  for (const dir of [0, 1]) {
    const D = f.dirs[dir];
    let r = APP_NONE;
    if (proto === 17) {
      if (!D.datagrams.length) continue;
      const p = D.datagrams[0];
      r = detectApp(17, dir === 0, p, 0, p.length, dir === 0 ? f.ap : f.bp, dir === 0 ? f.bp : f.ap);
    } else {
      const s = tcpStream(D, 8192).data;
      if (!s.length) continue;
      r = detectApp(6, dir === 0, s, 0, s.length, 0, 0);
    }
    if (r === APP_HTTP) return 'http';
    if (r === APP_DNS) return 'dns';
    void APP_NEED_MORE;
  }
  return null;
}

export interface Measure {
  files: number; flows: number;
  truthHttp: number; hitHttp: number; truthDns: number; hitDns: number;
  other: number; falsePos: number;
  misses: string[]; fps: string[];
  /** Same counts with content detection only (no port fallback). */
  contentOnly: { hit: number; falsePos: number };
}

export function ndpiTruthClass(l: NdpiLine): string | null {
  if (l.master === 'HTTP') return 'http';
  if (l.master === 'DNS') return 'dns';
  return null;
}

export async function measureNdpi(limitFiles = Infinity): Promise<Measure> {
  const dir = path.join(SHARED_PCAPS, 'ndpi');
  const files = fs.readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f) && fs.existsSync(path.join(dir, f + '.out'))).sort();
  const m: Measure = { files: 0, flows: 0, truthHttp: 0, hitHttp: 0, truthDns: 0, hitDns: 0, other: 0, falsePos: 0, misses: [], fps: [], contentOnly: { hit: 0, falsePos: 0 } };
  for (const f of files.slice(0, limitFiles)) {
    const truth = parseNdpiOut(fs.readFileSync(path.join(dir, f + '.out'), 'utf8'));
    if (!truth.length) continue;
    let flows: TestFlow[];
    try { flows = await readFlows(path.join(dir, f)); } catch { continue; }
    m.files++;
    const byKey = new Map<string, TestFlow>();
    for (const fl of flows) byKey.set(flowKey(fl.proto === 6 ? 'TCP' : 'UDP', `${fl.a}:${fl.ap}`, `${fl.b}:${fl.bp}`), fl);
    for (const t of truth) {
      const fl = byKey.get(flowKey(t.proto, t.e1, t.e2));
      if (!fl) continue;
      m.flows++;
      const want = ndpiTruthClass(t);
      const got = classify(fl);
      const gc = classifyContent(fl);
      if (want !== null && gc === want) m.contentOnly.hit++;
      if (want === null && gc !== null) m.contentOnly.falsePos++;
      if (want === 'http') { m.truthHttp++; if (got === 'http') m.hitHttp++; else m.misses.push(`${f} ${t.proto} ${t.e1} ${t.e2} ${t.label} got=${got}`); }
      else if (want === 'dns') { m.truthDns++; if (got === 'dns') m.hitDns++; else m.misses.push(`${f} ${t.proto} ${t.e1} ${t.e2} ${t.label} got=${got}`); }
      else { m.other++; if (got) { m.falsePos++; m.fps.push(`${f} ${t.proto} ${t.e1} ${t.e2} ${t.label} got=${got}`); } }
    }
  }
  return m;
}

if (require.main === module) {
  measureNdpi().then((m) => {
    const verbose = process.argv.includes('-v');
    console.log(JSON.stringify({ ...m, misses: m.misses.length, fps: m.fps.length,
      recall: (m.hitHttp + m.hitDns) / (m.truthHttp + m.truthDns), fpRate: m.falsePos / m.other }, null, 1));
    if (verbose) { console.log('MISSES'); for (const s of m.misses) console.log(s); console.log('FPS'); for (const s of m.fps) console.log(s); }
  });
}
