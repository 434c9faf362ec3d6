/**
 * The app parsers against Arkime's expected session documents (shared/pcaps/arkime/*.test):
 * DNS query/qtype/opcode/status and every answer (name, type, ttl, ip / cname / mx+priority /
 * nameserver), over UDP and TCP; HTTP methods, uris (host + path as Arkime writes them), hosts and
 * status codes (interim 100 included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SHARED_PCAPS } from '../helpers/paths';
import { readFlows, replayTcp } from './flowdata';
import { DnsMessage, parseDns, DnsTcpFramer, qtypeName, rcodeName, T_A, T_AAAA, T_CNAME, T_MX, T_NS } from '../../decoders/app/dns';
import { HttpParser, HTTP_TX_DONE, httpTxRecord } from '../../decoders/app/http';
import { SocksParser, matchSocksClient } from '../../decoders/app/socks';

const DIR = path.join(SHARED_PCAPS, 'arkime');
const OPCODES = ['QUERY', 'IQUERY', 'STATUS', 'UNASSIGNED', 'NOTIFY', 'UPDATE'];
/** Arkime spells two rcodes differently. */
const arkRcode = (r: number) => ({ NOTIMP: 'NOTIMPL' } as Record<string, string>)[rcodeName(r)] ?? rcodeName(r);

interface Seen { dns: Set<string>; rr: Set<string>; http: { method: string; uri: string; uri2: string; host: string; status: number[] }[] }

async function parseCapture(file: string): Promise<Seen> {
  const flows = await readFlows(file);
  const m = new DnsMessage();
  const seen: Seen = { dns: new Set(), rr: new Set(), http: [] };
  const dns = (b: Uint8Array, off: number, len: number) => {
    parseDns(b, off, len, m);
    if (m.nq) seen.dns.add([m.qname(0), qtypeName(m.qType[0]), OPCODES[m.opcode] ?? String(m.opcode), m.qr ? arkRcode(m.rcode) : ''].join('|'));
    for (let i = 0; i < m.nrr; i++) {
      const t = m.rrType[i];
      let v = '';
      if (t === T_A || t === T_AAAA || t === T_CNAME || t === T_NS) v = m.rdataStr(i);
      else if (t === T_MX) v = `${m.rdataStr(i)}/${m.rdU16(i, 0)}`;
      else continue;
      seen.rr.add([m.rrname(i), qtypeName(t), m.rrTtl[i], v].join('|'));
    }
  };
  for (const f of flows) {
    if (f.proto === 17) { for (const D of f.dirs) for (const d of D.datagrams) dns(d, 0, d.length); continue; }
    const fr = [new DnsTcpFramer(), new DnsTcpFramer()];
    const p = new HttpParser();
    p.onTx = (tx, what) => {
      if (what !== HTTP_TX_DONE) return;
      const r = httpTxRecord(tx);
      const st: number[] = [];
      if (tx.interimStatus >= 0) st.push(tx.interimStatus);
      if (r.status !== undefined) st.push(r.status);
      const path = r.uri_normalized !== undefined ? rawPath(r.uri ?? '') : '';
      // Arkime prefixes the Host header as sent (port kept); quell's host is normalized
      const rawHost = tx.req.headerStr('host') ?? r.host ?? '';
      seen.http.push({ method: r.method ?? '', uri: (r.host ?? '') + path, uri2: rawHost + path, host: r.host ?? '', status: st });
    };
    const isDns = f.ap === 53 || f.bp === 53;
    // a flow whose client starts with a SOCKS handshake: HTTP is what follows it (decoders/app/socks.ts)
    let socks: SocksParser | null | undefined;
    replayTcp(f, (dir, data) => {
      if (isDns) { fr[dir].push(data, 0, data.length); while (fr[dir].next()) dns(fr[dir].msgBuf, fr[dir].msgOff, fr[dir].msgLen); return; }
      if (socks === undefined && dir === 0) socks = matchSocksClient(data, 0, data.length) === 1 ? new SocksParser() : null;
      if (!socks) { p.feed(dir, data, 0, data.length, 0); return; }
      const at = socks.feed(dir, data, 0, data.length);
      if (at >= 0) p.feed(dir, data, at, data.length - at, 0);
    });
    p.finish();
  }
  return seen;
}
/** Arkime writes host + the raw path of the request target ("http://h/p" -> "h/p"). */
function rawPath(uri: string): string { const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(uri); return m ? (m[1] || '/') : uri; }

test('Arkime DNS and HTTP session fields are reproduced', async () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.test')).sort();
  let dnsTotal = 0, dnsFound = 0, rrTotal = 0, rrFound = 0, httpTotal = 0, httpFound = 0;
  const missing: string[] = [];
  for (const t of files) {
    const pcap = path.join(DIR, t.replace(/\.test$/, '.pcap'));
    if (!fs.existsSync(pcap)) continue;
    const doc = JSON.parse(fs.readFileSync(path.join(DIR, t), 'utf8'));
    const sessions = (doc.sessions3 ?? []).map((s: { body: Record<string, any> }) => s.body);
    if (!sessions.some((b: Record<string, any>) => b.dns || b.http?.method)) continue;
    const seen = await parseCapture(pcap);
    for (const b of sessions) {
      for (const d of b.dns ?? []) {
        if (!d.queryHost) continue;
        dnsTotal++;
        const want = [d.queryHost, d.qt, d.opcode, d.status ?? ''].join('|');
        const hit = seen.dns.has(want) || (d.status === undefined && [...seen.dns].some((s) => s.startsWith([d.queryHost, d.qt, d.opcode].join('|') + '|')));
        if (hit) dnsFound++; else missing.push(`${t} dns ${want}`);
        for (const a of d.answers ?? []) {
          let v: string;
          if (a.ip) v = a.ip; else if (a.cname) v = a.cname; else if (a.nameserver) v = a.nameserver; else if (a.mx) v = `${a.mx}/${a.priority}`; else continue;
          rrTotal++;
          const w = [a.name, a.type, a.ttl, v].join('|');
          if (seen.rr.has(w)) rrFound++; else missing.push(`${t} rr ${w}`);
        }
      }
      const h = b.http;
      if (h?.method) {
        httpTotal++;
        const uris: string[] = h.uri ?? [];
        const ok = h.method.every((mm: string) => seen.http.some((x) => x.method === mm)) &&
          uris.every((u) => seen.http.some((x) => x.uri === u || x.uri2 === u)) &&
          (h.statuscode ?? []).every((c: number) => seen.http.some((x) => x.status.includes(c)));
        if (ok) httpFound++; else missing.push(`${t} http ${JSON.stringify({ m: h.method, u: uris, s: h.statuscode })} quell ${JSON.stringify(seen.http.slice(0, 4))}`);
      }
    }
  }
  console.log(`arkime: dns queries ${dnsFound}/${dnsTotal}, dns answers ${rrFound}/${rrTotal}, http sessions ${httpFound}/${httpTotal}`);
  if (missing.length) console.log(missing.slice(0, 20).join('\n'));
  assert.ok(dnsTotal >= 8 && rrTotal >= 30 && httpTotal >= 10, `${dnsTotal} ${rrTotal} ${httpTotal}`);
  // known: the GRE/PPP capture's response and the 802.11 radiotap capture are not decoded below L7
  assert.ok(dnsFound / dnsTotal >= 0.9, `dns ${dnsFound}/${dnsTotal}`);
  assert.ok(rrFound / rrTotal >= 0.98, `rr ${rrFound}/${rrTotal}`);
  assert.ok(httpFound / httpTotal >= 0.9, `http ${httpFound}/${httpTotal}`);
});
