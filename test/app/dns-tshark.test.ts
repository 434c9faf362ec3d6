/**
 * parseDns() against tshark's DNS dissector on the DNS datagrams of the shared captures (Zeek,
 * Arkime, suricata-verify and nDPI captures whose path names DNS): query name, type, rcode, and
 * the A / AAAA / CNAME / MX / NS / PTR records of every section, frame by frame.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { execFile, execFileSync } from 'child_process';
import { SHARED_PCAPS } from '../helpers/paths';
import { DnsMessage, parseDns, T_A, T_AAAA, T_CNAME, T_MX, T_NS, T_PTR } from '../../decoders/app/dns';

/** nDPI captures whose truth lists DNS flows. */
function hasNdpiDns(p: string): boolean {
  const out = p + '.out';
  return fs.existsSync(out) && /\/DNS[.\]]/.test(fs.readFileSync(out, 'utf8'));
}

function findCaptures(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(pcap|pcapng)$/.test(e.name) && (/dns/i.test(path.relative(SHARED_PCAPS, p)) || hasNdpiDns(p))) out.push(p);
    }
  };
  for (const sub of ['zeek', 'arkime', 'suricata-verify', 'ndpi']) walk(path.join(SHARED_PCAPS, sub));
  return out.sort();
}

const FIELDS = ['frame.number', 'udp.payload', 'dns.qry.name', 'dns.qry.type', 'dns.flags.rcode', 'dns.a', 'dns.aaaa',
  'dns.cname', 'dns.mx.mail_exchange', 'dns.ns', 'dns.ptr.domain_name', '_ws.malformed', 'dns.count.queries'];

function tshark(file: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('tshark', ['-n', '-r', file, '-Y', 'dns && udp && !icmp && !icmpv6', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a',
      '-E', 'aggregator=|', ...FIELDS.flatMap((f) => ['-e', f])], { maxBuffer: 1 << 28, timeout: 60_000 },
    (_err, stdout) => resolve(String(stdout ?? '')));
  });
}

const split = (s: string) => (s ? s.split('|') : []);
const printable = (s: string) => /^[\x21-\x7e]*$/.test(s) && !s.includes('\\');

test('DNS over UDP: parseDns agrees with tshark frame by frame', async () => {
  const files = findCaptures();
  assert.ok(files.length >= 40, `found ${files.length} captures`);
  // one tshark run over all captures merged (tshark start-up dominates otherwise)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-dns-'));
  const outs: string[] = [];
  try {
    const merged = path.join(tmp, 'all.pcapng');
    execFileSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...files], { timeout: 60_000 });
    outs.push(await tshark(merged));
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
  const m = new DnsMessage();
  let frames = 0, compared = 0, agree = 0, skipped = 0;
  const bad: string[] = [];
  const typeSeen = new Set<number>();
  for (let fi = 0; fi < outs.length; fi++) {
    for (const line of outs[fi].split('\n')) {
      if (!line) continue;
      const c = line.split('\t');
      if (c.length < FIELDS.length || !c[1]) continue;
      frames++;
      const [frame, hex, qn, qt, rc, a, aaaa, cname, mx, ns, ptr, malformed, qcount] = c;
      // tunnelled packets list several UDP payloads: the innermost (last) one is the DNS message
      const payload = Buffer.from(hex.split('|').pop()!.replace(/:/g, ''), 'hex');
      const st = parseDns(payload, 0, payload.length, m);
      // compare only what tshark decoded cleanly and in printable form
      const names = [...split(qn), ...split(cname), ...split(mx), ...split(ns), ...split(ptr)];
      if (malformed || names.some((n) => !printable(n) && n !== '<Root>') || Number(qcount) > 1) { skipped++; continue; }
      compared++;
      const mine = { qn: '', qt: '', rc: '', a: [] as string[], aaaa: [] as string[], cname: [] as string[], mx: [] as string[], ns: [] as string[], ptr: [] as string[] };
      if (m.nq) { mine.qn = m.qname(0) || '<Root>'; mine.qt = String(m.qType[0]); }
      mine.rc = m.qr ? String(m.rcode) : '';   // tshark shows the rcode of responses only
      for (let i = 0; i < m.nrr; i++) {
        const t = m.rrType[i];
        typeSeen.add(t);
        if (m.rrDataLen[i] === 0) continue;       // empty rdata (dynamic update deletes): tshark lists no value
        const v = m.rdataStr(i);
        if (t === T_A) mine.a.push(v); else if (t === T_AAAA) mine.aaaa.push(v); else if (t === T_CNAME) mine.cname.push(v);
        else if (t === T_MX) mine.mx.push(v); else if (t === T_NS) mine.ns.push(v); else if (t === T_PTR) mine.ptr.push(v);
      }
      const theirs = { qn, qt: split(qt)[0] ?? '', rc, a: split(a), aaaa: split(aaaa), cname: split(cname), mx: split(mx), ns: split(ns), ptr: split(ptr) };
      if (!theirs.qn) theirs.qn = '';
      const same = JSON.stringify(mine) === JSON.stringify(theirs);
      if (same) agree++;
      else if (bad.length < 15) bad.push(`merged#${frame} st=${st}\n  quell  ${JSON.stringify(mine)}\n  tshark ${JSON.stringify(theirs)}`);
    }
  }
  const ratio = agree / compared;
  console.log(`dns vs tshark: files=${files.length} frames=${frames} compared=${compared} skipped=${skipped} agree=${agree} (${(100 * ratio).toFixed(2)}%) rr types seen=${typeSeen.size}`);
  if (bad.length) console.log(bad.join('\n'));
  assert.ok(compared >= 1500, `compared ${compared}`);
  assert.ok(ratio >= 0.99, `agreement ${ratio}`);
});
