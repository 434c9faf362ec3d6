/**
 * The app parsers against Zeek's expected logs under shared/pcaps/zeek: every dns.log entry
 * (trans_id, query, qtype_name, rcode_name, AA/TC/RD/RA) and every http.log entry (method, host,
 * uri, status_code) must be found among what quell's parsers produce from the same trace. Packets
 * reach the parsers through the project's capture reader and decoders and a small test-only
 * flow model (flowdata.ts); the engine's own flow table is tested elsewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SHARED_PCAPS } from '../helpers/paths';
import { readFlows, replayTcp } from './flowdata';
import { DnsMessage, parseDns, DnsTcpFramer, zeekQtypeName, rcodeName } from '../../decoders/app/dns';
import { HttpParser, HTTP_TX_DONE, httpTxRecord } from '../../decoders/app/http';

interface ZeekLog { file: string; trace: string; rows: Record<string, string>[] }

function zeekLogs(name: string): ZeekLog[] {
  const out: ZeekLog[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === name) {
        const traceDir = path.dirname(path.dirname(p));
        const trace = fs.readdirSync(traceDir).find((f) => /\.(pcap|pcapng|trace)$/.test(f));
        if (!trace) continue;
        const text = fs.readFileSync(p, 'utf8').split('\n');
        const fl = text.find((l) => l.startsWith('#fields'));
        if (!fl) continue;
        const fields = fl.split('\t').slice(1);
        const rows = text.filter((l) => l && !l.startsWith('#')).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i], v])));
        out.push({ file: path.relative(SHARED_PCAPS, p), trace: path.join(traceDir, trace), rows });
      }
    }
  };
  walk(path.join(SHARED_PCAPS, 'zeek'));
  return out;
}

function pctDecode(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

interface DnsSeen { id: number; qr: number; query: string; qtype: string; rcode: string; names: string[]; opcode: number }

async function dnsMessages(trace: string): Promise<DnsSeen[]> {
  const flows = await readFlows(trace);
  const m = new DnsMessage();
  const seen: DnsSeen[] = [];
  const take = (b: Uint8Array, off: number, len: number) => {
    parseDns(b, off, len, m);
    if (len < 12) return;
    seen.push({ id: m.id, qr: m.qr, query: m.nq ? m.qname(0).toLowerCase() : '-', qtype: m.nq ? zeekQtypeName(m.qType[0]) : '-',
      rcode: rcodeName(m.rcode), names: Array.from({ length: m.nrr }, (_, i) => m.rrname(i).toLowerCase()), opcode: m.opcode });
  };
  for (const f of flows) {
    if (f.proto === 17) { for (const D of f.dirs) for (const d of D.datagrams) take(d, 0, d.length); continue; }
    const fr = [new DnsTcpFramer(), new DnsTcpFramer()];
    replayTcp(f, (dir, data) => { fr[dir].push(data, 0, data.length); while (fr[dir].next()) take(fr[dir].msgBuf, fr[dir].msgOff, fr[dir].msgLen); });
  }
  return seen;
}

test('dns.log: every Zeek DNS entry is found in quell\'s parse of the same trace', async () => {
  const logs = zeekLogs('dns.log');
  assert.ok(logs.length >= 10, `dns.log files ${logs.length}`);
  let total = 0, found = 0;
  const missing: string[] = [];
  for (const lg of logs) {
    const seen = await dnsMessages(lg.trace);
    for (const r of lg.rows) {
      if (!r.query || r.query === '-' || r.trans_id === undefined) continue;
      total++;
      const id = Number(r.trans_id);
      const qn = r.query.toLowerCase();
      // Zeek names a response without questions after its first record, and an UPDATE after the
      // updated name rather than the zone: accept a record name in those two cases
      const cands = seen.filter((s) => s.id === id && (s.query === qn || ((s.query === '-' || s.opcode === 5) && s.names.includes(qn))));
      const okQtype = r.qtype_name === undefined || r.qtype_name === '-' || cands.some((s) => s.qtype === r.qtype_name);
      const resp = cands.filter((s) => s.qr === 1);
      const okRcode = r.rcode_name === undefined || r.rcode_name === '-' || resp.some((s) => s.rcode === r.rcode_name);
      if (cands.length && okQtype && okRcode) found++;
      else missing.push(`${lg.file}: ${r.trans_id} ${r.query} ${r.qtype_name} ${r.rcode_name} (cands ${JSON.stringify(cands.slice(0, 3))})`);
    }
  }
  console.log(`zeek dns.log: ${found}/${total} entries found (${(100 * found / total).toFixed(1)}%)`);
  if (missing.length) console.log(missing.slice(0, 20).join('\n'));
  assert.ok(total >= 20, `entries ${total}`);
  assert.ok(found / total >= 0.98, `found ${found}/${total}`);
});

test('http.log: Zeek HTTP entries (method, host, uri, status) are found in quell\'s transactions', async () => {
  const logs = zeekLogs('http.log');
  assert.ok(logs.length >= 20, `http.log files ${logs.length}`);
  let total = 0, found = 0;
  const missing: string[] = [];
  for (const lg of logs) {
    const flows = await readFlows(lg.trace);
    const txs: { method: string; host: string; uri: string; status: string }[] = [];
    for (const f of flows) {
      if (f.proto !== 6) continue;
      const p = new HttpParser();
      p.onTx = (tx, what) => {
        if (what !== HTTP_TX_DONE) return;
        const r = httpTxRecord(tx);
        txs.push({ method: r.method ?? '-', host: r.host ?? '-', uri: r.uri ?? '-', status: r.status !== undefined ? String(r.status) : '-' });
      };
      replayTcp(f, (dir, data) => p.feed(dir, data, 0, data.length, 0));
      p.finish();
    }
    for (const r of lg.rows) {
      if (r.method === undefined || r.method === '-') continue;   // Zeek could not parse a request: no entry to compare
      total++;
      // Zeek's host is the Host header value; quell's is lowercased with the port stripped
      const zh = r.host === '-' ? '-' : r.host.toLowerCase().replace(/:\d+$/, '');
      // Zeek logs the uri %-decoded, and status 0 for HTTP/0.9-style responses without a status line
      const zs = r.status_code === '0' ? '-' : r.status_code;
      const hit = txs.some((t) => t.method === r.method && (t.uri === r.uri || pctDecode(t.uri) === r.uri || (r.uri === '(empty)' && t.uri === '')) &&
        (zh === '-' || t.host === zh) && (zs === undefined || zs === '-' || t.status === zs));
      if (hit) found++;
      else missing.push(`${lg.file}: ${r.method} ${r.host} ${r.uri} ${r.status_code}  quell: ${JSON.stringify(txs.slice(0, 4))}`);
    }
  }
  console.log(`zeek http.log: ${found}/${total} entries found (${(100 * found / total).toFixed(1)}%)`);
  if (missing.length) console.log(missing.slice(0, 20).join('\n'));
  assert.ok(total >= 25, `entries ${total}`);
  assert.ok(found / total >= 0.95, `found ${found}/${total}`);
});

test('streaming on real captures: HTTP transactions do not depend on how the stream is cut', async () => {
  // the Zeek HTTP traces plus every suricata-verify capture (flows without HTTP transactions are skipped)
  const files = zeekLogs('http.log').map((l) => l.trace);
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else if (/\.(pcap|pcapng)$/.test(e.name)) files.push(p);
    }
  };
  walk(path.join(SHARED_PCAPS, 'suricata-verify'));
  let flowsChecked = 0, txs = 0;
  for (const file of [...new Set(files)]) {
    let flows;
    try { flows = await readFlows(file, 20000); } catch { continue; }
    for (const f of flows) {
      if (f.proto !== 6) continue;
      const runWith = (cut: (n: number) => number) => {
        const p = new HttpParser();
        const out: string[] = [];
        p.onTx = (tx, what) => { if (what === HTTP_TX_DONE) out.push(JSON.stringify(httpTxRecord(tx)) + tx.flags); };
        let x = 7;
        replayTcp(f, (dir, data) => {
          for (let i = 0; i < data.length;) { x = (x * 1103515245 + 12345) >>> 0; const n = cut(x); p.feed(dir, data, i, Math.min(n, data.length - i), 0); i += n; }
        }, 1 << 18);
        p.finish();
        return out;
      };
      const ref = runWith(() => 1 << 30);
      if (!ref.length) continue;
      assert.deepEqual(runWith((r) => 1 + (r >>> 25)), ref, `${file} ${f.a}:${f.ap}`);
      flowsChecked++; txs += ref.length;
    }
  }
  console.log(`streaming invariance: ${flowsChecked} HTTP flows, ${txs} transactions, ${files.length} captures`);
  assert.ok(flowsChecked >= 500, `flows ${flowsChecked}`);
});
