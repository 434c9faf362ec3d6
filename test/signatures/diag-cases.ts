/**
 * Shared check for rule-language error cases: each condition, compiled alone in a rule, must give
 * exactly one error with the expected code, message, span (the source text it underlines) and help.
 */
import assert from 'node:assert/strict';
import { compileSource } from '../../signatures/compiler';

export interface DiagCase { src: string; code?: string; msg: RegExp; span: string; help: RegExp }

/** `defaultCode` applies to cases without `code`. */
export function assertOneError(cases: DiagCase[], defaultCode?: string): void {
  for (const c of cases) {
    const text = `rule r { condition: ${c.src} }`;
    const r = compileSource(text, 't.rules');
    assert.equal(r.ruleset, null, c.src);
    const d = r.diags.list.filter((x) => x.severity === 'error');
    assert.equal(d.length, 1, `${c.src}: ${JSON.stringify(d)}`);
    assert.equal(d[0].code, c.code ?? defaultCode, c.src);
    assert.match(d[0].message, c.msg, c.src);
    assert.equal(text.slice(d[0].offset, d[0].offset + d[0].length), c.span, c.src);
    assert.match(d[0].help ?? '', c.help, c.src);
  }
}
