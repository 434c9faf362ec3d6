/**
 * AST node builders used by the grammar's postprocessors (grammar/quell.ne). Every node carries
 * its source span as character offsets into the file text: `s` (inclusive) and `e` (exclusive).
 */
import type { Tok } from './lexer';

export interface N {
  k: string;
  s: number;
  e: number;
  [prop: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

type Spanned = Tok | N;
function startOf(x: Spanned): number { return 'k' in x ? x.s : x.offset; }
function endOf(x: Spanned): number { return 'k' in x ? x.e : x.offset + x.text.length; }

export const B = {
  node(k: string, first: Spanned, last: Spanned, props: Record<string, unknown>): N {
    return { k, s: startOf(first), e: endOf(last), ...props };
  },
  bin(op: string, a: N, opTok: Tok, b: N): N {
    return { k: 'bin', op, s: a.s, e: b.e, a, b, opTok };
  },
  un(op: string, opTok: Tok, a: N): N {
    return { k: 'un', op, s: opTok.offset, e: a.e, a, opTok };
  },
  rule(mods: Tok[], kw: Tok, name: Tok, tags: Tok[], sections: N[], close: Tok): N {
    const first = mods.length ? mods[0] : kw;
    return { k: 'rule', s: first.offset, e: close.offset + 1, mods, name, tags, sections };
  },
  strDef(id: Tok, kind: string, pat: Tok, mods: N[]): N {
    const last: Spanned = mods.length ? mods[mods.length - 1] : pat;
    return { k: 'strdef', kind, s: id.offset, e: endOf(last), id, pat, mods };
  },
};

/** nearley's generated code asks the lexer which token types exist; tokens are fed by an
 *  ArrayLexer (parser.ts), so this stub only answers `has`. */
export const tokenLexerStub = {
  reset(_chunk: string, _info: unknown): void { /* tokens come from ArrayLexer */ },
  next(): undefined { return undefined; },
  save(): undefined { return undefined; },
  formatError(_t: never): string { return ''; },
  has(_t: string): boolean { return true; },
};
