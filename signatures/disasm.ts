/**
 * Human-readable dump of a compiled ruleset: per rule its strings (kind, buffer, atoms), how the
 * rule is gated (prefilter / value lookup / every packet), and its bytecode. Used by
 * `quell check --dump` and by the per-pass golden tests (test/signatures/dump/).
 */
import type { CompiledRuleset } from './ruleset';
import { Op, OP_SIZE, CMP_OPS, DECISION_NAMES, L4_DPORT, L4_SPORT } from './bytecode';
import { FIELDS } from './keywords/registry';
import { RATE_BY_NAMES } from './keywords/ops';
import { HOST_SIDES } from './keywords/host';
import { EVENT_NAMES } from '../decoders/events';

const OP_NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries({
  CONST: Op.CONST, ADD: Op.ADD, SUB: Op.SUB, MUL: Op.MUL, DIV: Op.DIV, MOD: Op.MOD, NEG: Op.NEG, BAND: Op.BAND, BOR: Op.BOR,
  BXOR: Op.BXOR, BNOT: Op.BNOT, SHL: Op.SHL, SHR: Op.SHR, EQ: Op.EQ, NE: Op.NE, LT: Op.LT, LE: Op.LE, GT: Op.GT, GE: Op.GE,
  NOT: Op.NOT, TOBOOL: Op.TOBOOL, DEFINED: Op.DEFINED, JF_OR_POP: Op.JF_OR_POP, JT_OR_POP: Op.JT_OR_POP, FOUND: Op.FOUND,
  COUNT: Op.COUNT, COUNT_IN: Op.COUNT_IN, OFFSET: Op.OFFSET, LENGTH: Op.LENGTH, AT: Op.AT, IN: Op.IN, FILESIZE: Op.FILESIZE,
  READ_INT: Op.READ_INT, OF: Op.OF, LOADVAR: Op.LOADVAR, FOR_RANGE: Op.FOR_RANGE, FOR_LIST: Op.FOR_LIST, RULE: Op.RULE,
  NUM_FIELD: Op.NUM_FIELD, BYTES_CMP: Op.BYTES_CMP, BYTES_MATCH: Op.BYTES_MATCH, BYTES_LEN: Op.BYTES_LEN,
  BYTES_DEFINED: Op.BYTES_DEFINED, BYTES_INSET: Op.BYTES_INSET, IP_INSET: Op.IP_INSET, NUM_INSET: Op.NUM_INSET,
  EVENT: Op.EVENT, FLOW_HAS: Op.FLOW_HAS, FLOW_TAG: Op.FLOW_TAG, RATE: Op.RATE, PROTO: Op.PROTO, POP: Op.POP,
  HOST_HAS: Op.HOST_HAS, HOST_TAG: Op.HOST_TAG, BYTES_NUM: Op.BYTES_NUM,
})) OP_NAMES[v] = k;

const QUANTS = ['any', 'all', 'none', 'n', 'pct'];
function bytesText(b: Uint8Array): string {
  let s = '"';
  for (const x of b) s += x >= 32 && x <= 126 && x !== 34 && x !== 92 ? String.fromCharCode(x) : '\\x' + x.toString(16).padStart(2, '0');
  return s + '"';
}

export function dumpRuleset(rs: CompiledRuleset): string {
  const out: string[] = [];
  const field = (f: number) => (f === L4_SPORT ? 'l4.sport' : f === L4_DPORT ? 'l4.dport' : f === -1 ? '<stack>' : FIELDS[f]?.name ?? `#${f}`);
  const atomsOf = new Map<number, string[]>();
  for (const pf of rs.prefilters) {
    for (let a = 0; a < pf.atomString.length; a++) {
      const si = pf.atomString[a];
      const l = atomsOf.get(si) ?? [];
      if ((pf.atomFlags[a] & 8) === 0) {
        const lit = pf.litPool.subarray(pf.atomLitOff[a], pf.atomLitOff[a] + pf.atomLitLen[a]);
        l.push(`${bytesText(lit.subarray(pf.atomBack[a], pf.atomBack[a] + pf.atomLen[a]))}@${pf.atomBack[a]}`);
      } else l.push(`(pattern atom len ${pf.atomLen[a]}, back ${pf.atomBack[a]})`);
      atomsOf.set(si, l);
    }
  }
  rs.rules.forEach((r, ri) => {
    const flags = [r.private ? 'private' : '', r.global ? 'global' : ''].filter(Boolean).join(' ');
    const gate = r.global ? 'every packet (global)' : r.needsString ? 'prefilter hit' : r.lookupField >= 0 ? `value lookup on ${FIELDS[r.lookupField].name}` : 'every packet';
    out.push(`rule ${r.name}${flags ? ` (${flags})` : ''} #${ri}: sid ${r.sid}, decision ${DECISION_NAMES[r.decision]}${r.mark >= 0 ? `, mark ${r.mark}` : ''}; runs on: ${gate}`);
    for (let si = r.firstString; si < r.firstString + r.stringCount; si++) {
      const s = rs.strings[si];
      const mods = [s.nocase ? 'nocase' : '', s.fullword ? 'fullword' : '', s.private ? 'private' : '', s.litWide.includes(true) || s.patWide.includes(true) ? 'wide' : ''].filter(Boolean).join(' ');
      const atoms = s.key !== null ? 'matched at evaluate (keyed buffer)' : s.fullScan ? 'full scan (no atom)' : (atomsOf.get(si) ?? []).join(' ');
      out.push(`  ${s.name} ${s.kind} in ${FIELDS[s.field].name}${s.key !== null ? `["${s.key}"]` : ''}${mods ? ' ' + mods : ''}: ${atoms}`);
    }
    for (const a of r.actions) out.push(`  action ${a.verb}${a.target ? ' ' + a.target : ''}${a.value !== undefined ? ' ' + a.value : ''}${a.bytes ? ' ' + bytesText(a.bytes) : ''}${a.argv ? ' ' + JSON.stringify(a.argv) : ''}${a.url ? ' ' + a.url : ''}`);
    for (let pc = r.codeStart; pc < r.codeEnd;) {
      const op = rs.code[pc];
      const a = Array.from(rs.code.subarray(pc + 1, pc + OP_SIZE[op]));
      let arg = '';
      switch (op) {
        case Op.CONST: arg = String(rs.consts[a[0]]); break;
        case Op.JF_OR_POP: case Op.JT_OR_POP: arg = `-> ${a[0] - r.codeStart}`; break;
        case Op.FOUND: case Op.COUNT: case Op.COUNT_IN: case Op.OFFSET: case Op.LENGTH: case Op.AT: case Op.IN: arg = rs.strings[a[0]].name; break;
        case Op.READ_INT: arg = `${a[0] & 64 ? 'int' : 'uint'}${a[0] & 63}${a[0] & 128 ? 'be' : ''}`; break;
        case Op.OF: arg = `${a[0]} items, ${QUANTS[a[1]]}`; break;
        case Op.LOADVAR: arg = `v${a[0]}`; break;
        case Op.FOR_RANGE: arg = `${QUANTS[a[0]]} v${a[1]}, body ${a[2]}`; break;
        case Op.FOR_LIST: arg = `${QUANTS[a[0]]} v${a[1]}, ${a[2]} items, body ${a[3]}`; break;
        case Op.RULE: arg = rs.rules[a[0]].name; break;
        case Op.NUM_FIELD: arg = field(a[0]); break;
        case Op.BYTES_CMP: arg = `${field(a[0])}${a[1] >= 0 ? `["${rs.tconsts[a[1]]}"]` : ''} ${CMP_OPS[a[2]]} ${bytesText(rs.bconsts[a[3]])}`; break;
        case Op.BYTES_MATCH: arg = `${field(a[0])}${a[1] >= 0 ? `["${rs.tconsts[a[1]]}"]` : ''} /#${a[2]}/`; break;
        case Op.BYTES_LEN: case Op.BYTES_DEFINED: arg = `${field(a[0])}${a[1] >= 0 ? `["${rs.tconsts[a[1]]}"]` : ''}`; break;
        case Op.BYTES_INSET: arg = `${field(a[0])}${a[1] >= 0 ? `["${rs.tconsts[a[1]]}"]` : ''} in ${rs.sets[a[2]].name} (${rs.sets[a[2]].kind})`; break;
        case Op.IP_INSET: case Op.NUM_INSET: arg = `${field(a[0])} in ${rs.sets[a[1]].name} (${rs.sets[a[1]].kind})`; break;
        case Op.EVENT: arg = EVENT_NAMES[a[0]]; break;
        case Op.FLOW_HAS: case Op.FLOW_TAG: arg = JSON.stringify(rs.tconsts[a[0]]); break;
        case Op.RATE: arg = `counter ${a[0]} by ${RATE_BY_NAMES[a[1]] ?? a[1]} window ${a[2]} ms`; break;
        case Op.HOST_HAS: arg = `${HOST_SIDES[a[1]] ?? a[1]} ${JSON.stringify(rs.tconsts[a[0]])}`; break;
        case Op.HOST_TAG: arg = `${HOST_SIDES[a[1]] ?? a[1]} ${JSON.stringify(rs.tconsts[a[0]])} expire ${a[2]} ms`; break;
        case Op.BYTES_NUM: arg = `${field(a[0])}${a[1] >= 0 ? `["${rs.tconsts[a[1]]}"]` : ''} as number`; break;
        case Op.PROTO: arg = ['ip', 'tcp', 'udp', 'icmp', 'http', 'dns'].filter((_, i) => a[0] & (1 << i)).join('|'); break;
        default: arg = '';
      }
      out.push(`  ${String(pc - r.codeStart).padStart(4)}  ${OP_NAMES[op] ?? `op${op}`}${arg ? ' ' + arg : ''}`);
      pc += OP_SIZE[op];
    }
  });
  for (const l of rs.lookups) out.push(`lookup ${FIELDS[l.field].name}: ${l.keys.length} values -> ${l.rules.length} rule entries`);
  for (const pf of rs.prefilters) out.push(`prefilter ${FIELDS[pf.field].name}: ${pf.atomString.length} atoms, ${pf.ac.trans.length / pf.ac.nClasses} states, ${pf.ac.nClasses} byte classes`);
  return out.join('\n') + '\n';
}
