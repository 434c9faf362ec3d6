/**
 * Parser front end: moo tokens -> top-level items -> one fresh nearley parser per item.
 *
 * Why one parser per item: nearley has no error recovery, and a whole-file Earley chart costs
 * ~17x the memory of per-item charts (research: signature-anchors.md 4.2). Splitting at
 * top-level keywords (`rule`, `include`, `const`, `set`, `import`, `private`, `global`) gives
 * YARA-style recovery: after a bad item, parsing resumes at the next one, so every syntax error
 * in a file is reported in one run. nearley's own messages are not shown (they dump Earley
 * states and can print the wrong source line, kach/nearley#634); we build ours from the failing
 * token and the terminals the chart expected there.
 */
import * as nearley from 'nearley';
import grammarDef from './grammar/quell';
import { tokenize, Tok } from './lexer';
import type { N } from './ast-build';
import type { DiagnosticBag } from './diagnostics';

const GRAMMAR = nearley.Grammar.fromCompiled(grammarDef);

/** Feeds a pre-tokenised array to nearley (the chunk passed to feed() is ignored). */
class ArrayLexer implements nearley.Lexer {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}
  reset(_chunk: string, _state?: unknown): void { /* single feed */ }
  next(): nearley.Token | undefined { return this.toks[this.i++] as unknown as nearley.Token | undefined; }
  save(): nearley.LexerState { return { line: 0, col: 0 } as nearley.LexerState; }
  formatError(_t: nearley.Token): string { return ''; }
  has(_name: string): boolean { return true; }
}

const TOP_STARTERS = new Set(['kw_rule', 'kw_include', 'kw_import', 'kw_const', 'kw_set', 'kw_global', 'kw_private']);
/** Keywords that can only start a new top-level item (used to stop a rule with an unclosed brace). */
const HARD_STARTERS = new Set(['kw_rule', 'kw_include', 'kw_import', 'kw_const', 'kw_set', 'kw_global']);

export function tokenLabel(t: Tok | undefined): string {
  if (!t) return 'end of input';
  switch (t.type) {
    case 'string': return `string ${t.text.length > 24 ? t.text.slice(0, 21) + '..."' : t.text}`;
    case 'number': return `number ${t.text}`;
    case 'ident': return `identifier \`${t.text}\``;
    case 'regex': return 'regular expression';
    case 'hexdef': return 'hex string';
    case 'strid': return `string identifier \`${t.text}\``;
    case 'error': return `character \`${t.text}\``;
    default: return `\`${t.text}\``;
  }
}

const TYPE_LABEL: Record<string, string> = {
  string: 'a string', number: 'a number', ident: 'an identifier', regex: 'a regular expression',
  hexdef: '`= { hex }`', strid: 'a string identifier ($name)', strcount: '#name', stroffset: '@name',
  strlen: '!name', ip4: 'an IPv4 address', ip6: 'an IPv6 address', duration: 'a duration (10s, 5m)',
};

/** Terminals the parser could have accepted in chart column `col` (a nearley internal). */
function expectedInColumn(p: nearley.Parser, fromEnd: number): string[] {
  const table = (p as unknown as { table: { states: { rule: { symbols: unknown[] }; dot: number }[] }[] }).table;
  const col = table[table.length - fromEnd] ?? table[table.length - 1];
  const seen = new Set<string>();
  for (const st of col?.states ?? []) {
    const sym = st.rule.symbols[st.dot] as { literal?: string; type?: string } | string | undefined;
    if (!sym || typeof sym === 'string') continue;
    if (sym.literal !== undefined) seen.add('`' + sym.literal + '`');
    else if (sym.type) seen.add(TYPE_LABEL[sym.type] ?? sym.type);
  }
  return [...seen].sort();
}

// Same chart inspection nearley's reportError does: the states of the last good column whose
// next symbol is a terminal are what the parser could have accepted.
function expectedAfterFailure(p: nearley.Parser): string[] { return expectedInColumn(p, 2); }

function expectedAtEnd(p: nearley.Parser): string[] { return expectedInColumn(p, 1); }

function listExpected(ex: string[]): string {
  if (ex.length === 0) return '';
  if (ex.length > 12) return `expected one of ${ex.slice(0, 12).join(', ')}, ...`;
  return ex.length === 1 ? `expected ${ex[0]}` : `expected one of ${ex.join(', ')}`;
}

export interface ParseStats { items: number; ambiguous: number }

/** Parse one item's tokens. Returns the AST node, or null after reporting a diagnostic. */
export function parseItem(toks: Tok[], file: string, diags: DiagnosticBag, results?: unknown[][], unclosed = false): N | null {
  const p = new nearley.Parser(GRAMMAR, { lexer: new ArrayLexer(toks) } as nearley.ParserOptions);
  try {
    p.feed('');
  } catch (e) {
    const tok = (e as { token?: Tok }).token;
    if (!tok) throw e;
    const ex = expectedAfterFailure(p);
    let help = listExpected(ex);
    if (tok.type === 'kw_set' || tok.type === 'kw_meta' || tok.type === 'kw_strings' || tok.type === 'kw_condition' || tok.type === 'kw_action' || tok.type === 'kw_scope') {
      help = help ? help + `; \`${tok.text}\` is a reserved keyword` : `\`${tok.text}\` is a reserved keyword`;
    }
    if (tok.type === 'punct' && tok.value === '/' ) help += '; integer division is written `\\` (as in YARA)';
    diags.error('E002', file, tok.offset, tok.text.length, `unexpected ${tokenLabel(tok)}`, help || undefined);
    return null;
  }
  if (results) results.push(p.results);
  if (p.results.length === 0) {
    const last = toks[toks.length - 1];
    if (unclosed) {
      const name = toks.find((t) => t.type === 'ident');
      diags.error('E003', file, last.offset + last.text.length, 0, `rule${name ? ` \`${name.text}\`` : ''} is not closed`, 'add `}` at the end of the rule');
      return null;
    }
    const ex = expectedAtEnd(p);
    diags.error('E003', file, last.offset + last.text.length, 0, `unexpected end of ${toks[0].type === 'kw_rule' || toks[0].type === 'kw_private' || toks[0].type === 'kw_global' ? 'rule' : 'declaration'} after ${tokenLabel(last)}`,
      listExpected(ex) || undefined);
    return null;
  }
  return p.results[0] as N;
}

/**
 * Split a file's tokens into top-level items and parse each one. Lexer errors are reported
 * (E001) and dropped. `results`, when given, receives every item's full result list (the
 * exactly-one-parse test uses it).
 */
export function parseSource(src: string, file: string, diags: DiagnosticBag, results?: unknown[][]): N[] {
  const all = tokenize(src);
  const toks: Tok[] = [];
  for (const t of all) {
    if (t.type === 'error') {
      diags.error('E001', file, t.offset, 1, `invalid character ${JSON.stringify(t.text)}`,
        t.text === '/' ? 'integer division is written `\\`; a regular expression is `/.../`' : undefined);
    } else toks.push(t);
  }
  const lexErr = all.filter((t) => t.type === 'error').map((t) => t.offset);
  const items: N[] = [];
  let i = 0;
  while (i < toks.length) {
    const t = toks[i];
    if (!TOP_STARTERS.has(t.type)) {
      const start = i;
      while (i < toks.length && !TOP_STARTERS.has(toks[i].type)) i++;
      const last = toks[i - 1];
      diags.error('E004', file, t.offset, last.offset + last.text.length - t.offset, `unexpected ${tokenLabel(t)} at top level`,
        'a file holds `include`, `import`, `const`, `set` and `rule` items');
      void start;
      continue;
    }
    const start = i;
    let isRule = false;
    let unclosed = false;
    let j = i;
    while (j < toks.length && (toks[j].type === 'kw_private' || toks[j].type === 'kw_global')) j++;
    if (j < toks.length && toks[j].type === 'kw_rule') isRule = true;
    if (isRule) {
      // up to the brace that closes the body, or the next item start if the body never closes
      let depth = 0;
      let k = j + 1;
      let end = -1;
      for (; k < toks.length; k++) {
        const tk = toks[k];
        if (HARD_STARTERS.has(tk.type) || (tk.type === 'kw_private' && k + 1 < toks.length && (toks[k + 1].type === 'kw_rule' || toks[k + 1].type === 'kw_global'))) break;
        if (tk.value === '{' && tk.type === 'punct') depth++;
        else if (tk.value === '}' && tk.type === 'punct') { depth--; if (depth === 0) { end = k + 1; break; } }
      }
      i = end >= 0 ? end : k;
      unclosed = end < 0;
    } else {
      i = start + 1;
      while (i < toks.length && !TOP_STARTERS.has(toks[i].type)) i++;
    }
    const itemToks = toks.slice(start, i);
    const from = itemToks[0].offset, to = itemToks[itemToks.length - 1].offset;
    // an item with a bad character was already reported (E001): do not add a follow-on syntax error
    if (lexErr.some((o) => o >= from && o <= to)) continue;
    const node = parseItem(itemToks, file, diags, results, unclosed);
    if (node) items.push(node);
  }
  return items;
}
