/**
 * File scanning with yara's command-line semantics (`quell scan`): each file is one byte
 * string (the `payload` buffer); rules print as `RULE FILE` in declaration order; `-s` prints
 * `0xOFFSET:$id: data` per match as yara 4.2 does (text/regex strings: printable bytes as is,
 * others as \xNN; hex strings: upper-case hex bytes separated by spaces, cut after 64 bytes
 * with " ..."). Private rules and private strings are not printed.
 */
import type { CompiledRuleset } from './ruleset';
import { Matcher, EMPTY_FIELDS } from './runtime';
import { PAYLOAD_FIELD } from './keywords/registry';

/** yara's own cap of matches per string (YR_MAX_STRING_MATCHES) */
export const SCAN_MAX_MATCHES_PER_STRING = 1_000_000;

export interface ScanHit { rule: number; strings: { si: number; off: number; len: number }[] }

export function newScanMatcher(rs: CompiledRuleset): Matcher {
  return new Matcher(rs, { maxMatchesPerString: SCAN_MAX_MATCHES_PER_STRING });
}

/** Scan one buffer; returns the indexes of matching (non-private) rules in declaration order. */
export function scanBytes(m: Matcher, data: Uint8Array): number[] {
  m.begin();
  m.scanBuffer(PAYLOAD_FIELD, data, 0, data.length);
  const r = m.evaluate(EMPTY_FIELDS);
  return Array.from(r.matchedRules.subarray(0, r.count));
}

function printable(data: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = off; i < off + len; i++) {
    const b = data[i];
    s += b >= 32 && b <= 126 ? String.fromCharCode(b) : '\\x' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return s;
}
function hexText(data: Uint8Array, off: number, len: number): string {
  const n = Math.min(64, len);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(data[off + i].toString(16).toUpperCase().padStart(2, '0'));
  return parts.join(' ') + (len > 64 ? ' ...' : '');
}

/** yara-style output lines for one file. */
export function formatScan(m: Matcher, rules: number[], file: string, data: Uint8Array, withStrings: boolean): string[] {
  const rs = m.rs;
  const out: string[] = [];
  for (const r of rules) {
    const rule = rs.rules[r];
    out.push(`${rule.name} ${file}`);
    if (!withStrings) continue;
    for (let si = rule.firstString; si < rule.firstString + rule.stringCount; si++) {
      const se = rs.strings[si];
      if (se.private) continue;
      const n = m.matchCount(si);
      for (let i = 0; i < n; i++) {
        const off = m.matchOffset(si, i), len = m.matchLength(si, i);
        const text = se.kind === 'hex' ? hexText(data, off, len) : printable(data, off, len);
        out.push(`0x${off.toString(16)}:${se.name}: ${text}`);
      }
    }
  }
  return out;
}
