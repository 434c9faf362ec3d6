/**
 * Lexer for the Quell signature language (moo). One token stream per file; the parser splits
 * it into top-level items and feeds each to a fresh nearley parser (error isolation, see
 * docs/language.md "Parser").
 *
 * Lexical decisions (why no moo states): a hex string only ever follows `=` in a strings
 * section, so `= { ... }` is lexed as ONE token (`hexdef`), which keeps `{` of rule bodies
 * unambiguous. Division is `\` (as in YARA), so `/.../flags` is always a regex literal.
 * Dotted names (`http.uri`, `event.ipv4.bad_hlen`) are single `ident` tokens.
 */
import * as moo from 'moo';

export const KEYWORDS = [
  'rule', 'private', 'global', 'meta', 'strings', 'condition', 'scope', 'action',
  'include', 'import', 'const', 'set',
  'and', 'or', 'not', 'at', 'in', 'of', 'for', 'any', 'all', 'none', 'them',
  'filesize', 'entrypoint', 'true', 'false', 'defined',
  'contains', 'icontains', 'startswith', 'istartswith', 'endswith', 'iendswith', 'iequals', 'matches',
  'nocase', 'wide', 'ascii', 'fullword', 'xor', 'base64', 'base64wide',
  'int8', 'int16', 'int32', 'uint8', 'uint16', 'uint32',
  'int8be', 'int16be', 'int32be', 'uint8be', 'uint16be', 'uint32be',
] as const;

const kw: Record<string, string> = {};
for (const k of KEYWORDS) kw['kw_' + k] = k;

export function makeLexer(): moo.Lexer {
  return moo.compile({
    ws: { match: /[ \t\r\n\f]+/, lineBreaks: true },
    comment: /\/\/[^\n]*/,
    mcomment: { match: /\/\*[^]*?\*\//, lineBreaks: true },
    hexdef: { match: /=[ \t\r\n]*\{[^}]*\}/, lineBreaks: true },
    string: /"(?:\\[^\n]|[^"\\\n])*"/,
    regex: /\/(?:\\[^\n]|\[(?:\\[^\n]|[^\]\\\n])*\]|[^\\/\n\[*])(?:\\[^\n]|\[(?:\\[^\n]|[^\]\\\n])*\]|[^\\/\n\[])*\/[a-zA-Z]*/,
    ip6: /(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?:\/\d{1,3})?/,
    ip4: /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:\/\d{1,2})?/,
    duration: /\d+(?:ms|s|m|h|d)\b/,
    number: /0x[0-9a-fA-F]+|0o[0-7]+|\d+(?:KB|MB)?/,
    strid: /\$[A-Za-z0-9_]*\*?/,
    strcount: /#[A-Za-z0-9_]*/,
    stroffset: /@[A-Za-z0-9_]*/,
    op: ['==', '!=', '<=', '>=', '<<', '>>', '..'],
    strlen: /![A-Za-z0-9_]*/,
    ident: { match: /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/, type: moo.keywords(kw) },
    punct: ['{', '}', '(', ')', '[', ']', ',', ':', ';', '=', '<', '>', '+', '-', '*', '\\', '%', '&', '|', '^', '~', '.'],
    error: moo.error,
  });
}

export interface Tok {
  type: string;
  value: string;
  text: string;
  offset: number;
  line: number;
  col: number;
  lineBreaks: number;
}

/** Tokenise a whole file; whitespace and comments are dropped. Lexer errors become `error` tokens
 *  of one character (the lexer restarts after it), so that every bad character is reported. */
export function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  const lx = makeLexer();
  let base = 0, line = 1, col = 1;
  for (;;) {
    lx.reset(src.slice(base), { line, col } as never);
    let restart = false;
    for (let t = lx.next(); t; t = lx.next()) {
      const tok: Tok = { type: t.type ?? 'error', value: t.value, text: t.text, offset: base + t.offset,
        line: t.line, col: t.col, lineBreaks: t.lineBreaks };
      if (tok.type === 'ws' || tok.type === 'comment' || tok.type === 'mcomment') continue;
      if (tok.type === 'error') {
        tok.text = tok.value = src[tok.offset];
        out.push(tok);
        base = tok.offset + 1;
        if (tok.value === '\n') { line = tok.line + 1; col = 1; } else { line = tok.line; col = tok.col + 1; }
        restart = true;
        break;
      }
      out.push(tok);
    }
    if (!restart) break;
    if (base >= src.length) break;
  }
  return out;
}
