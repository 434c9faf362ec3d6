/**
 * HTTP and DNS fields against Zeek's logs (shared/pcaps/zeek/<trace>/<test>/{http,dns}.log[.cut]).
 * Every Zeek row must be found among quell's flow summaries of the same connection (matched by
 * the 4-tuple when the log has it, else anywhere in the capture):
 *   http.log: method, host, uri, status_code; dns.log: query, qtype_name, rcode_name.
 * Zeek writes '-' for unset fields and escapes non-printable bytes as \xNN; quell's strings are
 * escaped the same way before comparing. Rows from tests whose baseline does not depend on the
 * test's own script (TESTS.tsv column 3 = no) are the strict set; the others are reported too.
 * mDNS rows (port 5353) are left out: quell follows nDPI in treating mDNS as its own protocol,
 * not DNS (decoders/app/detect.ts), while Zeek's DNS analyzer logs it in dns.log.
 * Asserted: >= 98% of the strict rows and of the dns.log rows; every miss is one of KNOWN_MISSES
 * (each with its reason; a new miss fails, and so does an entry no longer needed). Measured
 * 2026-11-21: http.log 66/71, dns.log 15/15, all 81/86 = 94.2% (65/71 before requests with any
 * method token were detected; 75/86 before the tunnel/NFLOG decoders, DNS UPDATE, HTTP/0.9 POST
 * and CONNECT host work). The 5 http.log misses are artefacts of Zeek's http.log script state
 * machine (scripts/base/protocols/http/main.zeek), not transactions on the wire; see KNOWN_MISSES.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SHARED_PCAPS } from '../helpers/paths';
import { flowsOf, FlowRec, tupleKey } from './run';
import { runReplay } from '../../src/engine/replay';
import { compileOk } from '../detect/helpers';

const ZEEK = path.join(SHARED_PCAPS, 'zeek');
/**
 * Rows quell does not reproduce, by log path and row text. Both are artefacts of how Zeek's
 * http.log script pairs messages (per connection: a request's record is created by the first event
 * of its message, and a record is written when its response message ends), not transactions:
 * - HTTP/0.9 (http_09, no-version): one request, one response, nothing else on the wire. The server
 *   closes first, so the 0.9 reply's message ends (EOF) and its record is written; the request
 *   message (a 0.9 request has no header section) only ends at the client's FIN, and its
 *   http_message_done event finds no pending record and creates a new, empty one (trans_depth 2),
 *   flushed at connection end. quell logs the one exchange (method, uri, no status).
 * - wstunnel-http: HTTP tunnelled in WebSocket messages after a 101 upgrade. Zeek's inner HTTP
 *   analyzer shares the connection's http state with the outer one, and the script keeps a record
 *   whose status is 1xx (101 included) open for a "final" response: the inner 301 lands on the
 *   upgrade request's record (localhost:8888 /v1/events 301) and the inner request (zeek.org /)
 *   gets none. quell parses the WebSocket frames and the HTTP inside them and logs what was on
 *   the wire: the upgrade with its status 101, the inner request with its own response's 301
 *   (test/flows/websocket.test.ts asserts it and finds every field of these two rows).
 */
const KNOWN_MISSES: RegExp[] = [
  /^http\/(http_09|no-version)\/.*: - - - -$/,
  /^websocket\/wstunnel-http\/.*: *(localhost:8888 \/v1\/events 301|zeek\.org \/ -)$/,
];

function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out); else out.push(p);
  }
  return out;
}

/** Rows of a Zeek TSV log as objects (full logs with #fields, or zeek-cut output with a header line). */
export function parseZeekLog(text: string): Record<string, string>[] {
  let fields: string[] | null = null;
  const rows: Record<string, string>[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#fields\t')) { fields = line.split('\t').slice(1); continue; }
    if (line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (fields === null) { fields = cols; continue; }
    const r: Record<string, string> = {};
    fields.forEach((f, i) => { r[f] = cols[i] ?? '-'; });
    rows.push(r);
  }
  return rows;
}

function zeekEscape(s: string | null | undefined): string {
  if (s === null || s === undefined) return '-';
  if (s === '') return '(empty)';
  let o = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) o += '\\x' + c.toString(16).padStart(2, '0');
    else o += s[i];
  }
  return o;
}

function zeekQtype(q: string): string {
  if (q === 'ANY') return '*';
  if (/^\d+$/.test(q)) return `query-${q}`;
  return q;
}

/** Host without a ":port" suffix, lower-case (Zeek logs the Host header as sent; quell's host is normalized). */
function hostKey(h: string): string {
  if (h === '-' || h === '(empty)') return h;
  const m = /^(\[[^\]]*\]|[^:]*)(:\d*)?$/.exec(h);
  return (m ? m[1] : h).toLowerCase();
}

/** Percent-decoding of a raw URI (some Zeek tests log the unescaped URI). */
function pctDecode(u: string): string {
  return u.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function sameOrUnset(zeek: string | undefined, ours: string): boolean {
  if (zeek === undefined) return true;           // column not in this (cut) log
  return zeek === ours || (zeek === '-' && ours === '(empty)') || (zeek === '(empty)' && ours === '-');
}

test('Zeek http.log and dns.log rows are found in quell flows', { timeout: 600_000 }, async () => {
  const strictTests = new Set<string>();
  for (const l of fs.readFileSync(path.join(ZEEK, 'TESTS.tsv'), 'utf8').split('\n')) {
    const c = l.split('\t');
    if (c.length >= 3 && c[2] === 'no') strictTests.add(c[1]);
  }
  const logs = walk(ZEEK).filter((p) => /\/(http|dns)\.log(\.cut)?$/.test(p));
  const cache = new Map<string, FlowRec[]>();
  const tally = { strict: [0, 0], other: [0, 0], http: [0, 0], dns: [0, 0] };
  const misses: string[] = [];
  let mdns = 0;
  for (const log of logs) {
    const testDir = path.dirname(log), traceDir = path.dirname(testDir);
    const cap = fs.readdirSync(traceDir).find((f) => /\.(pcap|pcapng|trace|dump)$/.test(f));
    if (!cap) continue;
    const capPath = path.join(traceDir, cap);
    let flows = cache.get(capPath);
    if (!flows) { flows = await flowsOf(capPath); cache.set(capPath, flows); }
    const byTuple = new Map<string, FlowRec[]>();
    for (const f of flows) {
      const k = tupleKey(f.proto, f.src, f.sport, f.dst, f.dport);
      (byTuple.get(k) ?? byTuple.set(k, []).get(k)!).push(f);
    }
    const isHttp = /\/http\.log/.test(log);
    const strict = strictTests.has(path.basename(testDir));
    for (const row of parseZeekLog(fs.readFileSync(log, 'utf8'))) {
      if (row['id.resp_p'] === '5353' || row['id.orig_p'] === '5353' || /\/mdns-/.test(log)) { mdns++; continue; }
      let cands: FlowRec[] = flows;
      if (row['id.orig_h'] && row['id.resp_h']) {
        const proto = row.proto ?? (isHttp ? 'tcp' : undefined);
        const keys = proto ? [proto] : ['udp', 'tcp'];
        cands = keys.flatMap((p) => byTuple.get(tupleKey(p, row['id.orig_h'], +row['id.orig_p'], row['id.resp_h'], +row['id.resp_p'])) ?? []);
      }
      let found: boolean;
      if (isHttp) {
        // Zeek logs status 0 for HTTP/0.9 replies (no status line): quell has no status then
        const zs = row.status_code === '0' ? '-' : row.status_code;
        found = cands.some((f) => f.http.some((h) =>
          sameOrUnset(row.method, zeekEscape(h.method)) &&
          (row.host === undefined || hostKey(row.host) === hostKey(zeekEscape(h.host))) &&
          (sameOrUnset(row.uri, zeekEscape(h.uri)) || (h.uri !== null && row.uri === zeekEscape(pctDecode(h.uri)))) &&
          sameOrUnset(zs, h.status === null ? '-' : String(h.status))));
      } else {
        found = cands.some((f) => f.dns.some((d) =>
          // Zeek leaves qtype unset for some messages (UPDATE, and in script-driven baselines): no constraint then.
          // Zeek lower-cases DNS names (quell keeps them as sent, e.g. 0x20 case randomisation)
          // an UPDATE: Zeek's query is the first name being changed (quell: updates[0]; query is the zone)
          sameOrUnset(row.query, zeekEscape(d.updates?.[0] ?? d.query).toLowerCase()) && (row.qtype_name === '-' || sameOrUnset(row.qtype_name, zeekQtype(d.qtype))) &&
          sameOrUnset(row.rcode_name, d.rcode ?? '-')));
      }
      const t = strict ? tally.strict : tally.other;
      t[1]++;
      if (found) t[0]++;
      const k = isHttp ? tally.http : tally.dns;
      k[1]++;
      if (found) k[0]++;
      else misses.push(`${path.relative(ZEEK, log)}: ${isHttp ? [row.method, row.host, row.uri, row.status_code].join(' ') : [row.query, row.qtype_name, row.rcode_name].join(' ')}`);
    }
  }
  const all = tally.strict[0] + tally.other[0], n = tally.strict[1] + tally.other[1];
  console.log(`Zeek rows found: strict ${tally.strict[0]}/${tally.strict[1]}, script-dependent ${tally.other[0]}/${tally.other[1]}, all ${all}/${n} = ${(100 * all / n).toFixed(2)}%; http.log ${tally.http[0]}/${tally.http[1]}, dns.log ${tally.dns[0]}/${tally.dns[1]} (${mdns} mDNS rows left out)`);
  if (misses.length) console.log('missing:\n  ' + misses.join('\n  '));
  assert.ok(n > 80, `too few Zeek rows (${n})`);
  assert.ok(tally.strict[0] / tally.strict[1] >= 0.98, `strict rows found ${tally.strict[0]}/${tally.strict[1]}`);
  assert.ok(tally.dns[0] / tally.dns[1] >= 0.98, `dns.log rows found ${tally.dns[0]}/${tally.dns[1]}`);
  const unknown = misses.filter((m) => !KNOWN_MISSES.some((k) => k.test(m)));
  assert.deepEqual(unknown, [], 'misses not in KNOWN_MISSES (a regression)');
  for (const k of KNOWN_MISSES) assert.ok(misses.some((m) => k.test(m)), `KNOWN_MISSES entry no longer needed: ${k}`);
  assert.ok(all >= 81, `found ${all}/${n} (measured 81/86)`);
});

test('Zeek weird unknown_HTTP_method: a rule on event.http.method_unknown alerts on exactly the same requests', async () => {
  // every weird.log row named unknown_HTTP_method, with its method (addl), against quell's event
  // over every HTTP trace Zeek logged (an alert where Zeek has no such weird is a mismatch too)
  const want: string[] = [];
  const caps = new Set<string>();
  for (const log of walk(ZEEK).filter((p) => /\/(weird|http)\.log(\.cut)?$/.test(p))) {
    const traceDir = path.dirname(path.dirname(log));
    const cap = fs.readdirSync(traceDir).find((f) => /\.(pcap|pcapng|trace|dump)$/.test(f));
    if (!cap) continue;
    if (/\/http\.log/.test(log)) { caps.add(path.join(traceDir, cap)); continue; }
    for (const r of parseZeekLog(fs.readFileSync(log, 'utf8'))) {
      if (r.name === 'unknown_HTTP_method') { caps.add(path.join(traceDir, cap)); want.push(r.addl); }
    }
  }
  assert.ok(want.length >= 1, 'Zeek logs at least one unknown method');
  const rules = compileOk('rule unknown_method { meta: sid = 1 condition: event.http.method_unknown action: alert }');
  const got: string[] = [];
  for (const cap of caps) {
    const lines: string[] = [];
    await runReplay(cap, { workers: 1, format: 'eve', engine: {}, write: (l) => { lines.push(...l); }, detect: { ruleset: rules, mode: 'ids' } });
    const evs = lines.map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const a of evs.filter((e) => e.event_type === 'alert')) got.push(a.http?.http_method ?? '?');
  }
  assert.deepEqual(got.sort(), want.sort());
});
