/**
 * Diagnostics: `file:line:col: error[CODE]: message`, the source line, a caret/tilde line under
 * the span and an optional `help:` line (rustc style). Codes are stable; the table below is the
 * source for docs/language.md "Error codes". Never renumber or reuse a code.
 */
export type Severity = 'error' | 'warning';

export const CODES: Record<string, string> = {
  E001: 'invalid character',
  E002: 'syntax error: unexpected token',
  E003: 'syntax error: unexpected end of item',
  E004: 'unexpected token at top level',
  E010: 'cannot read included or loaded file',
  E011: 'include cycle',
  E012: 'duplicate rule name',
  E013: 'duplicate string identifier',
  E014: 'undefined string identifier',
  E015: 'unreferenced string',
  E016: 'undefined identifier',
  E017: 'type mismatch',
  E018: 'invalid hex string',
  E019: 'invalid regular expression',
  E020: 'invalid string modifier or modifier combination',
  E021: 'unsupported feature',
  E022: 'unknown buffer',
  E023: 'unknown field or function',
  E024: 'unknown decode event',
  E025: 'invalid action',
  E026: 'replacement length differs from the string',
  E027: 'invalid or duplicate rule section',
  E028: 'invalid scope',
  E029: 'invalid constant or set',
  E030: 'division by zero in a constant expression',
  E031: 'invalid number',
  E032: 'duplicate constant or set name',
  E033: 'invalid escape in a text string',
  E034: '`$`, `#`, `@` or `!` without a name outside `for .. of`',
  E035: 'invalid loop',
  E036: 'invalid meta value',
  E037: 'string set matches no strings',
  E038: 'too many matches/limits exceeded at compile time',
  W001: 'string has a weak atom (under 3 bytes): it slows down scanning',
  W002: 'unbounded regular expression',
  W003: 'buffer is never present in the rule\'s scope',
  W004: 'duplicate sid',
  W005: '`N of` asks for more strings than the set has',
};

export interface Diagnostic {
  severity: Severity;
  code: string;
  message: string;
  file: string;
  /** character offset of the span in the file text, and its length (>= 0) */
  offset: number;
  length: number;
  line: number;
  col: number;
  help?: string;
}

/** Line/column lookup for one source text (1-based line and column, columns in characters). */
export class SourceMap {
  readonly lineStarts: number[] = [0];
  constructor(readonly file: string, readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }
  pos(offset: number): { line: number; col: number } {
    let lo = 0, hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo] + 1 };
  }
  lineText(line: number): string {
    const s = this.lineStarts[line - 1] ?? this.text.length;
    let e = this.text.indexOf('\n', s);
    if (e < 0) e = this.text.length;
    return this.text.slice(s, e).replace(/\r$/, '');
  }
}

/** Collects diagnostics for several files. */
export class DiagnosticBag {
  readonly list: Diagnostic[] = [];
  private readonly maps = new Map<string, SourceMap>();
  addSource(file: string, text: string): SourceMap {
    const m = new SourceMap(file, text);
    this.maps.set(file, m);
    return m;
  }
  source(file: string): SourceMap | undefined { return this.maps.get(file); }
  add(severity: Severity, code: string, file: string, offset: number, length: number, message: string, help?: string): void {
    const m = this.maps.get(file);
    const { line, col } = m ? m.pos(offset) : { line: 1, col: 1 };
    this.list.push({ severity, code, message, file, offset, length: Math.max(0, length), line, col, help });
  }
  error(code: string, file: string, offset: number, length: number, message: string, help?: string): void {
    this.add('error', code, file, offset, length, message, help);
  }
  warn(code: string, file: string, offset: number, length: number, message: string, help?: string): void {
    this.add('warning', code, file, offset, length, message, help);
  }
  get errorCount(): number { return this.list.filter((d) => d.severity === 'error').length; }
  get warningCount(): number { return this.list.filter((d) => d.severity === 'warning').length; }
  /** Sorted by file, then offset (stable). */
  sorted(): Diagnostic[] {
    return this.list.map((d, i) => ({ d, i })).sort((x, y) =>
      x.d.file < y.d.file ? -1 : x.d.file > y.d.file ? 1 : x.d.offset - y.d.offset || x.i - y.i).map((x) => x.d);
  }
  format(d: Diagnostic): string { return formatDiagnostic(d, this.maps.get(d.file)); }
}

/** rustc-style text: header, source line, caret/tilde under the span, help. */
export function formatDiagnostic(d: Diagnostic, map?: SourceMap): string {
  const out = [`${d.file}:${d.line}:${d.col}: ${d.severity}[${d.code}]: ${d.message}`];
  if (map) {
    const text = map.lineText(d.line);
    const gutter = String(d.line);
    const pad = ' '.repeat(gutter.length);
    const lineEnd = text.length + 1;
    const spanLen = Math.max(1, Math.min(d.length, lineEnd - d.col + 1));
    let under = '';
    for (let i = 0; i < d.col - 1; i++) under += text[i] === '\t' ? '\t' : ' ';
    under += '^' + '~'.repeat(Math.max(0, spanLen - 1));
    out.push(`${gutter} | ${text}`);
    out.push(`${pad} | ${under}`);
  }
  if (d.help) out.push(`help: ${d.help}`);
  return out.join('\n');
}

export function diagnosticJson(d: Diagnostic): string {
  return JSON.stringify({ file: d.file, line: d.line, col: d.col, offset: d.offset, length: d.length,
    severity: d.severity, code: d.code, message: d.message, help: d.help ?? null });
}
