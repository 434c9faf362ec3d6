/**
 * Flow counters and HTTP/DNS fields against Arkime's expected sessions (shared/pcaps/arkime/*.test).
 * Arkime sessions with the same 5-tuple are summed (Arkime splits long sessions by time; quell
 * keeps one flow until its timeout). For every session whose tuple quell also has:
 *   packets and bytes per direction (Arkime source = the connection initiator = quell's client);
 *   http: methods, hosts (lower-case), paths (uri without the query), status codes;
 *   dns: query names, query types, rcodes.
 * Tunnelled captures (GRE-PPP, Geneve, IPv6-in-IPv4) match on the inner tuple (quell keys flows
 * on the innermost packet, like Suricata and Arkime) and 802.11 radiotap is decoded: every session
 * tuple must be matched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SHARED_PCAPS } from '../helpers/paths';
import { flowsOf, FlowRec, tupleKey } from './run';

const DIR = path.join(SHARED_PCAPS, 'arkime');

interface Agg { srcIp: string; srcPort: number; pkts: [number, number]; bytes: [number, number];
  methods: Set<string>; hosts: Set<string>; paths: Set<string>; statuses: Set<number>;
  queries: Set<string>; qtypes: Set<string>; rcodes: Set<string>; file: string; proto: string }

/**
 * Known differences, each with its reason (asserted to be the ONLY differences):
 * - TLS server name: Arkime writes a TLS ClientHello's SNI into http.host, here for the HTTPS
 *   carried in SOCKS tunnels (socks-https-example: SNI www.example.com, checked with tshark);
 *   quell has no TLS parser. (The HTTP tunnelled through SOCKS4/4a/5 is parsed since
 *   decoders/app/socks.ts: the 8 SOCKS+HTTP differences measured before it are gone.)
 */
const KNOWN: RegExp[] = [
  /^socks-https-example\.test .*: http host www\.example\.com$/,
];
/** Arkime writes NOTIMPL for rcode 4; the RFC 6895 mnemonic quell uses is NOTIMP. */
const RCODE_ALIAS: Record<string, string> = { NOTIMPL: 'NOTIMP' };

const PROTO: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmpv6' };

test('Arkime session truths: packets/bytes per direction, HTTP and DNS fields', { timeout: 120_000 }, async () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.test'));
  let sessions = 0, matched = 0, fieldChecks = 0;
  const problems: string[] = [], unmatched: string[] = [];
  for (const tf of files) {
    const cap = path.join(DIR, tf.replace(/\.test$/, '.pcap'));
    if (!fs.existsSync(cap)) continue;
    const doc = JSON.parse(fs.readFileSync(path.join(DIR, tf), 'utf8')) as { sessions3?: { body: any }[] };
    const aggs = new Map<string, Agg>();
    for (const s of doc.sessions3 ?? []) {
      const b = s.body;
      const proto = PROTO[b.ipProtocol];
      if (!proto || !b.source?.ip || !b.destination?.ip) continue;
      const key = tupleKey(proto, b.source.ip, b.source.port ?? 0, b.destination.ip, b.destination.port ?? 0);
      let a = aggs.get(key);
      if (!a) {
        a = { srcIp: b.source.ip, srcPort: b.source.port ?? 0, pkts: [0, 0], bytes: [0, 0], methods: new Set(), hosts: new Set(),
          paths: new Set(), statuses: new Set(), queries: new Set(), qtypes: new Set(), rcodes: new Set(), file: tf, proto };
        aggs.set(key, a);
      }
      a.pkts[0] += b.source.packets ?? 0; a.pkts[1] += b.destination.packets ?? 0;
      a.bytes[0] += b.source.bytes ?? 0; a.bytes[1] += b.destination.bytes ?? 0;
      const h = b.http;
      if (h) {
        for (const m of h.method ?? []) a.methods.add(m);
        for (const x of h.host ?? []) a.hosts.add(String(x).toLowerCase());
        for (const p of h.path ?? []) a.paths.add(p);
        for (const c of h.statuscode ?? []) a.statuses.add(c);
      }
      for (const d of (Array.isArray(b.dns) ? b.dns : b.dns ? [b.dns] : [])) {
        if (d.queryHost) a.queries.add(String(d.queryHost).toLowerCase());
        if (d.qt) a.qtypes.add(d.qt);
        if (d.status) a.rcodes.add(d.status);
      }
    }
    if (aggs.size === 0) continue;
    const flows = await flowsOf(cap);
    const mine = new Map<string, FlowRec[]>();
    for (const f of flows) {
      const k = tupleKey(f.proto, f.src, f.sport, f.dst, f.dport);
      (mine.get(k) ?? mine.set(k, []).get(k)!).push(f);
    }
    for (const [key, a] of aggs) {
      sessions++;
      const fs2 = mine.get(key);
      if (!fs2) { unmatched.push(`${tf} ${key}`); continue; }
      matched++;
      // sum quell's flows of this tuple, oriented like Arkime (source = initiator)
      const pk = [0, 0], by = [0, 0];
      const http = fs2.flatMap((f) => f.http), dns = fs2.flatMap((f) => f.dns);
      for (const f of fs2) {
        const same = f.src === a.srcIp && f.sport === a.srcPort;
        pk[same ? 0 : 1] += f.pkts_toserver; pk[same ? 1 : 0] += f.pkts_toclient;
        by[same ? 0 : 1] += f.bytes_toserver; by[same ? 1 : 0] += f.bytes_toclient;
      }
      const fail = (what: string) => problems.push(`${tf} ${key}: ${what}`);
      fieldChecks++;
      if (a.proto === 'icmp' || a.proto === 'icmpv6') {
        // Arkime has no ports to orient ICMP by and counts echo request and reply on one side: compare totals
        if (pk[0] + pk[1] !== a.pkts[0] + a.pkts[1]) fail(`packets ${pk} vs arkime ${a.pkts}`);
        if (by[0] + by[1] !== a.bytes[0] + a.bytes[1]) fail(`bytes ${by} vs arkime ${a.bytes}`);
      } else {
        if (pk[0] !== a.pkts[0] || pk[1] !== a.pkts[1]) fail(`packets ${pk} vs arkime ${a.pkts}`);
        if (by[0] !== a.bytes[0] || by[1] !== a.bytes[1]) fail(`bytes ${by} vs arkime ${a.bytes}`);
      }
      for (const m of a.methods) { fieldChecks++; if (!http.some((x) => x.method === m)) fail(`http method ${m}`); }
      for (const h of a.hosts) { fieldChecks++; if (!http.some((x) => (x.host ?? '').toLowerCase().replace(/:\d+$/, '') === h.replace(/:\d+$/, ''))) fail(`http host ${h}`); }
      for (const p of a.paths) { fieldChecks++; if (!http.some((x) => (x.uri ?? '').split('?')[0] === p)) fail(`http path ${p}`); }
      // Arkime lists interim (1xx) codes among the status codes: quell's summary has them as interim_status
      for (const c of a.statuses) { fieldChecks++; if (!http.some((x) => x.status === c || x.interim_status === c)) fail(`http status ${c}`); }
      for (const q of a.queries) { fieldChecks++; if (!dns.some((x) => x.query.toLowerCase() === q)) fail(`dns query ${q}`); }
      for (const t of a.qtypes) { fieldChecks++; if (!dns.some((x) => x.qtype === t)) fail(`dns qtype ${t}`); }
      for (const r of a.rcodes) { fieldChecks++; if (!dns.some((x) => x.rcode === (RCODE_ALIAS[r] ?? r))) fail(`dns rcode ${r}`); }
    }
  }
  const known = problems.filter((p) => KNOWN.some((k) => k.test(p)));
  const rest = problems.filter((p) => !KNOWN.some((k) => k.test(p)));
  console.log(`Arkime: ${matched}/${sessions} session tuples matched, ${fieldChecks} checks, ${rest.length} mismatches, ${known.length} known differences`);
  if (known.length) console.log('known differences:\n  ' + known.join('\n  '));
  if (unmatched.length) console.log('not matched (link/tunnel not decoded):\n  ' + unmatched.join('\n  '));
  if (rest.length) console.log('mismatches:\n  ' + rest.join('\n  '));
  assert.ok(sessions >= 67, `too few Arkime sessions: ${sessions}`);
  assert.deepEqual(unmatched, [], 'every Arkime session tuple has a quell flow (tunnels and 802.11 included)');
  assert.deepEqual(rest, []);
  // measured 2026-11-21: 11 before decoders/app/socks.ts, 3 after (TLS SNI only)
  assert.ok(known.length <= 3, `known differences grew: ${known.length}`);
  for (const k of KNOWN) assert.ok(problems.some((p) => k.test(p)), `KNOWN entry no longer needed: ${k}`);
});
