/**
 * bench/replay: packets/s of `quell replay` (one worker, in-process runReplay, EVE lines built and
 * discarded) on the big capture, without rules and with 1,000 rules, in the same run, as a ratio.
 *
 *   bench/make-big-capture.sh && node dist/bench/replay/run.js [--pcap F] [--rules N] [--rounds R]
 *
 * Rules are generated from real text: HTTP URIs, User-Agents and DNS names that tshark extracts
 * from the shared nDPI captures (../shared/pcaps/ndpi/*.pcap), and words of the READMEs in
 * node_modules (as bench/scan does). Mix per 1,000: 400 payload word pairs, 100 payload nocase
 * words, 200 http.uri, 120 http.user_agent, 150 dns.query, 30 regexes (payload and http.uri).
 * Also measures the two ways to give workers the ruleset: compile the same text per worker vs a
 * structured clone (v8 serialize + deserialize) of the compiled ruleset.
 * Prints one JSON line and writes bench/out/replay.json. Shared 2-core machine: noisy figures.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import { execFileSync } from 'child_process';
import { runReplay } from '../../src/engine/replay';
import { compileRules } from '../../src/engine/detect';
import type { CompiledRuleset } from '../../signatures/ruleset';
import { ROOT, corpusWords } from '../lib';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const PCAP = path.resolve(opt('--pcap', path.join(ROOT, 'bench', 'out', 'big.pcap')));
const N = Number(opt('--rules', '1000'));
const ROUNDS = Number(opt('--rounds', '2'));

function captureFields(): { uris: string[]; uas: string[]; names: string[] } {
  const dir = path.join(ROOT, '..', 'shared', 'pcaps', 'ndpi');
  const uris = new Set<string>(), uas = new Set<string>(), names = new Set<string>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.pcap')).sort()) {
    let out = '';
    try {
      out = execFileSync('tshark', ['-r', path.join(dir, f), '-Y', 'http.request or dns.flags.response==0', '-T', 'fields',
        '-e', 'http.request.uri', '-e', 'http.user_agent', '-e', 'dns.qry.name'], { encoding: 'latin1', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch { continue; }
    for (const line of out.split('\n')) {
      const [u, a, n] = line.split('\t');
      // URI path segments (>= 5 chars), UA product tokens, query names
      for (const seg of (u ?? '').split(/[/?&=]/)) if (seg.length >= 5 && seg.length <= 40 && /^[\x21-\x7e]+$/.test(seg)) uris.add(seg);
      for (const tok of (a ?? '').split(/[ ;()]/)) if (tok.length >= 5 && tok.length <= 40 && /^[\x21-\x7e]+$/.test(tok)) uas.add(tok);
      for (const nm of (n ?? '').split(',')) if (nm.length >= 5 && nm.length <= 60) names.add(nm.toLowerCase());
    }
  }
  return { uris: [...uris].sort(), uas: [...uas].sort(), names: [...names].sort() };
}

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const reEsc = (s: string) => s.replace(/[\\/.*+?()[\]{}|^$]/g, (c) => '\\' + c);

function makeRules(n: number): { text: string; mix: Record<string, number> } {
  const w = corpusWords();
  const f = captureFields();
  const pick = <T>(a: T[], i: number, k: number) => a[(i * k + 7) % a.length];
  const scale = (x: number) => Math.round((x * n) / 1000);
  const mix = { payload_pairs: scale(400), payload_nocase: scale(100), http_uri: scale(200), http_user_agent: scale(120), dns_query: scale(150), regex: 0 };
  mix.regex = n - mix.payload_pairs - mix.payload_nocase - mix.http_uri - mix.http_user_agent - mix.dns_query;
  const lines: string[] = [];
  let id = 0;
  const rule = (body: string) => lines.push(`rule b${id} { meta: sid = ${1_000_000 + id} ${body} }`) && id++;
  for (let i = 0; i < mix.payload_pairs; i++) rule(`strings: $a = "${esc(pick(w, i, 7919))} ${esc(pick(w, i, 104729))}" condition: $a action: alert`);
  for (let i = 0; i < mix.payload_nocase; i++) rule(`strings: $a = "${esc(pick(w.filter((x) => x.length >= 8), i, 31))}" nocase condition: $a action: alert`);
  for (let i = 0; i < mix.http_uri; i++) rule(`strings: $a = "${esc(i % 2 ? pick(f.uris, i, 17) : pick(w, i, 613))}" in http.uri condition: $a action: alert`);
  for (let i = 0; i < mix.http_user_agent; i++) rule(`strings: $a = "${esc(i % 2 ? pick(f.uas, i, 13) : pick(w, i, 911))}" in http.user_agent condition: $a action: alert`);
  for (let i = 0; i < mix.dns_query; i++) rule(`strings: $a = "${esc(i % 3 ? pick(w, i, 787).toLowerCase() : pick(f.names, i, 11))}" in dns.query condition: $a action: alert`);
  for (let i = 0; i < mix.regex; i++) {
    if (i % 2) rule(`strings: $r = /${reEsc(pick(w, i, 409))}[0-9]{2,6}/ condition: $r action: alert`);
    else rule(`strings: $r = /${reEsc(pick(f.uris, i, 29))}\\?[a-z_]+=/ in http.uri condition: $r action: alert`);
  }
  return { text: lines.join('\n') + '\n', mix };
}

async function replayOnce(ruleset: CompiledRuleset | null): Promise<{ s: number; packets: number; lines: number; alerts: number }> {
  let lines = 0, alerts = 0;
  const t0 = process.hrtime.bigint();
  const r = await runReplay(PCAP, {
    workers: 1, format: 'eve', engine: {},
    write: (l) => { lines += l.length; for (const x of l) if (x.charCodeAt(0) === 123 && x.includes('"event_type":"alert"')) alerts++; },
    detect: ruleset ? { ruleset, mode: 'ids' } : null,
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { s, packets: r.packets, lines, alerts };
}

async function main(): Promise<void> {
  if (!fs.existsSync(PCAP)) { process.stderr.write(`${PCAP} missing: run bench/make-big-capture.sh\n`); process.exit(1); }
  const { text, mix } = makeRules(N);
  fs.mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench', 'out', `replay-${N}.rules`), text);
  let t0 = process.hrtime.bigint();
  const c = compileRules(text, `replay-${N}.rules`);
  const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!c.ruleset) { process.stderr.write(c.diagnostics.filter((d) => d.severity === 'error').slice(0, 5).map((d) => d.text).join('\n') + '\n'); process.exit(1); }
  t0 = process.hrtime.bigint();
  const bytes = v8.serialize(c.ruleset);
  v8.deserialize(bytes);
  const cloneMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const runs: Record<string, { s: number; packets: number; lines: number; alerts: number }[]> = { none: [], rules: [] };
  for (let r = 0; r < ROUNDS; r++) {
    runs.none.push(await replayOnce(null));
    runs.rules.push(await replayOnce(c.ruleset));
  }
  const best = (k: string) => runs[k].reduce((a, b) => (b.s < a.s ? b : a));
  const b0 = best('none'), b1 = best('rules');
  const out = {
    file: PCAP, bytes: fs.statSync(PCAP).size, packets: b0.packets, rules: N, mix, rounds: ROUNDS,
    compile_ms: Math.round(compileMs), ruleset_clone_ms: Math.round(cloneMs), ruleset_serialized_bytes: bytes.length,
    no_rules: { best_s: +b0.s.toFixed(2), pps: Math.round(b0.packets / b0.s), eve_lines: b0.lines, all_s: runs.none.map((x) => +x.s.toFixed(2)) },
    with_rules: { best_s: +b1.s.toFixed(2), pps: Math.round(b1.packets / b1.s), eve_lines: b1.lines, alerts: b1.alerts, all_s: runs.rules.map((x) => +x.s.toFixed(2)) },
    ratio_pps: +((b1.packets / b1.s) / (b0.packets / b0.s)).toFixed(3),
    machine: `${os.cpus()[0]?.model ?? '?'} x${os.availableParallelism()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, load avg ${os.loadavg().map((x) => x.toFixed(1)).join('/')}`,
  };
  fs.writeFileSync(path.join(ROOT, 'bench', 'out', 'replay.json'), JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => { process.stderr.write(String(e?.stack ?? e) + '\n'); process.exit(1); });
