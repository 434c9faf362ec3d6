/**
 * bench/scan/matcher: per-packet cost of the Matcher alone (begin + scanBuffer per buffer +
 * evaluate) with 1,000 rules of the network shape, on synthetic packets built from real text.
 *   node dist/bench/scan/matcher.js [--packets N]
 * Rules: 500 payload literals, 300 http.uri literals (scope http), 200 `dns.query == "..."` IOC
 * rules (indexed by value). Packets: 600-byte payload slices of README text, a URI, a DNS name.
 * One JSON line on stdout. Shared 2-core machine: noisy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { compileSource } from '../../signatures/compiler';
import { Matcher, FieldSource, ByteSlice } from '../../signatures/runtime';
import { FIELD_ID, PAYLOAD_FIELD } from '../../signatures/keywords/registry';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const args = process.argv.slice(2);
const N = (() => { const i = args.indexOf('--packets'); return i >= 0 ? Number(args[i + 1]) : 200_000; })();

const text = Buffer.from(fs.readdirSync(path.join(ROOT, 'node_modules')).slice(0, 200)
  .map((d) => { try { return fs.readFileSync(path.join(ROOT, 'node_modules', d, 'README.md'), 'latin1'); } catch { return ''; } }).join('\n'), 'latin1');
const words = [...new Set(text.toString('latin1').split(/[^A-Za-z]+/).filter((w) => w.length >= 6))].sort();
let src = '';
for (let i = 0; i < 500; i++) src += `rule p${i} { meta: sid = ${i + 1} strings: $a = "${words[(i * 7919) % words.length]} ${words[(i * 31 + 7) % words.length]}" condition: $a action: alert }\n`;
for (let i = 0; i < 300; i++) src += `rule u${i} { meta: sid = ${i + 1001} scope: proto = http strings: $a = "/${words[(i * 104729) % words.length]}.php" in http.uri condition: $a action: drop flow }\n`;
for (let i = 0; i < 200; i++) src += `rule d${i} { meta: sid = ${i + 2001} scope: proto = dns condition: dns.query == "${words[(i * 13) % words.length].toLowerCase()}.example" action: drop packet }\n`;
const res = compileSource(src, 'bench.rules');
if (!res.ruleset) throw new Error(res.diags.list.map((d) => d.message).join('\n'));
const m = new Matcher(res.ruleset);

const URI = FIELD_ID.get('http.uri')!, QUERY = FIELD_ID.get('dns.query')!;
let cur = { uri: Buffer.alloc(0), q: Buffer.alloc(0), http: true };
const fields: FieldSource = {
  protoMask: () => (cur.http ? 1 | 2 | 16 : 1 | 4 | 32),
  num: () => NaN,
  bytes: (f: number, _k: string | null, out: ByteSlice) => {
    const b = f === URI && cur.http ? cur.uri : f === QUERY && !cur.http ? cur.q : null;
    if (!b) return false;
    out.buf = b; out.off = 0; out.len = b.length; return true;
  },
  event: () => false, flowHas: () => false, flowTag: () => undefined, rate: () => 0,
};
// 1,000 distinct packets cycled
const pkts = Array.from({ length: 1000 }, (_, i) => ({
  off: (i * 7919) % (text.length - 600),
  uri: Buffer.from(`/${words[(i * 17) % words.length]}/${i % 50 === 0 ? words[(i * 104729) % words.length] + '.php' : 'index.html'}?id=${i}`, 'latin1'),
  q: Buffer.from(`${words[(i * 13) % words.length].toLowerCase()}.${i % 20 === 0 ? 'example' : 'org'}`, 'latin1'),
  http: i % 4 !== 0,
}));
let alerts = 0;
const t0 = process.hrtime.bigint();
for (let n = 0; n < N; n++) {
  const p = pkts[n % pkts.length];
  cur = p;
  m.begin();
  m.scanBuffer(PAYLOAD_FIELD, text, p.off, 600);
  if (p.http) m.scanBuffer(URI, p.uri, 0, p.uri.length); else m.scanBuffer(QUERY, p.q, 0, p.q.length);
  alerts += m.evaluate(fields).count;
}
const s = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ bench: 'matcher', rules: res.ruleset.rules.length, packets: N, seconds: +s.toFixed(3),
  packetsPerS: Math.round(N / s), usPerPacket: +(s * 1e6 / N).toFixed(2), matches: alerts, rulesEvaluatedPerPacket: +(m.stats.rulesEvaluated / N).toFixed(2) }) + '\n');
