/**
 * Field/keyword registry: one line per keyword family. The field id used in compiled rulesets
 * is the index in FIELDS (stable within a build; rulesets store names and are recompiled).
 */
import type { KeywordDef } from './types';
import { PAYLOAD } from './payload';
import { IP } from './ip';
import { TCP } from './tcp';
import { UDP } from './udp';
import { ICMP } from './icmp';
import { FLOW } from './flow';
import { HTTP } from './http';
import { DNS } from './dns';
import { OPS_SPECIAL } from './ops';
import { HOST_SPECIAL } from './host';

export const FAMILIES: { family: string; defs: KeywordDef[] }[] = [
  { family: 'payload', defs: PAYLOAD },
  { family: 'ip', defs: IP },
  { family: 'tcp', defs: TCP },
  { family: 'udp', defs: UDP },
  { family: 'icmp', defs: ICMP },
  { family: 'flow', defs: FLOW },
  { family: 'http', defs: HTTP },
  { family: 'dns', defs: DNS },
];

export const FIELDS: KeywordDef[] = FAMILIES.flatMap((f) => f.defs);
export const FIELD_ID: Map<string, number> = new Map(FIELDS.map((d, i) => [d.name, i]));
export const PAYLOAD_FIELD = FIELD_ID.get('payload')!;

/** Functions and pseudo-fields handled by the compiler itself (documented with the table). */
export const SPECIAL_KEYWORDS: { name: string; doc: string }[] = [
  { name: 'event.<name>', doc: 'decode event raised for this packet (names from decoders/events.ts), boolean' },
  { name: 'flow.tag("x")', doc: 'sets tag x on the flow (always true; evaluated when reached)' },
  { name: 'flow.has("x")', doc: 'the flow carries tag x' },
  ...HOST_SPECIAL,
  { name: 'count(by = src|dst|flow, window = 60s)', doc: 'counts evaluations per key within the window (threshold/rate), integer' },
  ...OPS_SPECIAL,
  { name: 'filesize', doc: 'length of the payload buffer (the whole file for `quell scan`)' },
  { name: 'uint8/16/32[be](off), int8/16/32[be](off)', doc: 'integer read from the payload at off; undefined when out of bounds' },
  { name: '<buffer>.len', doc: 'length of a buffer or byte field, integer' },
  { name: '<field> defined / defined <field>', doc: 'the field is present in this packet' },
];

/** Markdown table of every keyword (docs/keywords.md and `quell check --list-keywords`). */
export function keywordsMarkdown(): string {
  const lines = ['# Signature keywords', '', 'Generated from signatures/keywords/registry.ts; do not edit by hand', '(regenerate: `node dist/signatures/keywords/gen-doc.js > docs/keywords.md`).', '',
    '| keyword | type | protocols | description |', '|---|---|---|---|'];
  for (const f of FAMILIES) for (const d of f.defs) {
    lines.push(`| \`${d.name}${d.keyed ? '["Name"]' : ''}\` | ${d.type} | ${d.protos.join(' ')} | ${d.doc.replace(/\|/g, '\\|')} |`);
  }
  lines.push('', '## Functions and special names', '', '| keyword | description |', '|---|---|');
  for (const s of SPECIAL_KEYWORDS) lines.push(`| \`${s.name.replace(/\|/g, '\\|')}\` | ${s.doc.replace(/\|/g, '\\|')} |`);
  return lines.join('\n') + '\n';
}

/** Plain-text table for terminals. */
export function keywordsText(): string {
  const rows = FIELDS.map((d) => [d.name + (d.keyed ? '["Name"]' : ''), d.type, d.protos.join(','), d.doc]);
  rows.push(...SPECIAL_KEYWORDS.map((s) => [s.name, 'special', '', s.doc]));
  const w0 = Math.max(...rows.map((r) => r[0].length)), w1 = 7, w2 = Math.max(...rows.map((r) => r[2].length));
  return rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2].padEnd(w2)}  ${r[3]}`).join('\n') + '\n';
}
