/**
 * Protocol labels against nDPI's expected output (shared/pcaps/ndpi/*.pcap.out, ndpiReader -v 2).
 * Flows are matched by their unordered 5-tuple. Of the flows nDPI labels HTTP (any label with an
 * HTTP component: HTTP, HTTP.Google...) or DNS by DPI (confidence "DPI..."; port/IP guesses are
 * not content evidence), quell must label >= 98% http/dns accordingly; of the flows nDPI labels
 * otherwise, at most 1% may get http/dns from quell.
 *
 * Captures named fuzz-* hold deliberately corrupted packets (fuzzed DNS replies nDPI still
 * labels DNS from its header checks); quell's detection requires a message that parses, so they
 * are counted and printed separately, not in the asserted ratios.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SHARED_PCAPS } from '../helpers/paths';
import { flowsOf, tupleKey } from './run';

const DIR = path.join(SHARED_PCAPS, 'ndpi');
const LINE = /^\s*\d+\s+(TCP|UDP)\s+(\[[^\]]+\]|[\d.]+):(\d+)\s+(?:<->|->)\s+(\[[^\]]+\]|[\d.]+):(\d+)\s+\[proto:\s*[\d.]+\/([^\]]+)\].*?\[Confidence:\s*([^\]]+)\]/;

interface NdpiFlow { key: string; label: string; confidence: string; file: string }

export function parseNdpiOut(text: string, file: string): NdpiFlow[] {
  const out: NdpiFlow[] = [];
  for (const l of text.split('\n')) {
    const m = LINE.exec(l);
    if (!m) continue;
    const strip = (a: string) => a.replace(/^\[|\]$/g, '');
    out.push({ key: tupleKey(m[1], strip(m[2]), +m[3], strip(m[4]), +m[5]), label: m[6], confidence: m[7].trim(), file });
  }
  return out;
}

function expectedApp(label: string): 'http' | 'dns' | null {
  const parts = label.split('.');
  if (parts.includes('HTTP')) return 'http';
  if (parts.includes('DNS')) return 'dns';
  return null;
}

test('nDPI: HTTP/DNS labels by content', { timeout: 600_000 }, async () => {
  const files = fs.readdirSync(DIR).filter((f) => /\.(pcap|pcapng)$/.test(f) && fs.existsSync(path.join(DIR, f + '.out')));
  assert.ok(files.length > 200, `expected the nDPI captures, found ${files.length}`);
  let pos = 0, posOk = 0, neg = 0, negBad = 0, unmatched = 0, skippedGuess = 0, unreadable = 0;
  let fPos = 0, fPosOk = 0, fNeg = 0, fNegBad = 0;
  const misses: string[] = [], falsePos: string[] = [];
  for (const f of files) {
    const truth = parseNdpiOut(fs.readFileSync(path.join(DIR, f + '.out'), 'utf8'), f);
    if (truth.length === 0) continue;
    let flows;
    try { flows = await flowsOf(path.join(DIR, f), { maxFlows: 1 << 16 }); } catch { unreadable++; continue; }
    const apps = new Map<string, Set<string | null>>();
    for (const r of flows) {
      const k = tupleKey(r.proto, r.src, r.sport, r.dst, r.dport);
      let s = apps.get(k); if (!s) { s = new Set(); apps.set(k, s); }
      s.add(r.app);
    }
    const fuzz = f.startsWith('fuzz');
    for (const t of truth) {
      const got = apps.get(t.key);
      const want = expectedApp(t.label);
      if (!got) { unmatched++; continue; }
      if (fuzz) {
        if (want !== null) { if (!t.confidence.startsWith('DPI')) continue; fPos++; if (got.has(want)) fPosOk++; }
        else { fNeg++; if (got.has('http') || got.has('dns')) fNegBad++; }
        continue;
      }
      if (want !== null) {
        if (!t.confidence.startsWith('DPI')) { skippedGuess++; continue; }
        pos++;
        if (got.has(want)) posOk++; else misses.push(`${f} ${t.key} ${t.label} got ${[...got].join(',')}`);
      } else {
        neg++;
        if (got.has('http') || got.has('dns')) { negBad++; falsePos.push(`${f} ${t.key} ${t.label} got ${[...got].join(',')}`); }
      }
    }
  }
  const recall = posOk / pos, fpr = negBad / neg;
  console.log(`nDPI: ${files.length} captures (${unreadable} unreadable); HTTP/DNS by DPI: ${posOk}/${pos} = ${(recall * 100).toFixed(2)}% ` +
    `(${skippedGuess} port/IP guesses skipped); others labelled http/dns: ${negBad}/${neg} = ${(fpr * 100).toFixed(2)}%; ${unmatched} nDPI flows not matched by tuple`);
  console.log(`fuzz-* captures (not asserted): HTTP/DNS ${fPosOk}/${fPos}, others labelled http/dns ${fNegBad}/${fNeg}`);
  if (misses.length) console.log('misses (first 20):\n  ' + misses.slice(0, 20).join('\n  '));
  if (falsePos.length) console.log('false positives (first 20):\n  ' + falsePos.slice(0, 20).join('\n  '));
  assert.ok(pos > 300, `too few nDPI HTTP/DNS flows matched (${pos})`);
  assert.ok(recall >= 0.98, `recall ${recall}`);
  assert.ok(fpr <= 0.01, `false positive rate ${fpr}`);
});
