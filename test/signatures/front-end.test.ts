/**
 * Front end: the committed grammar is what nearleyc generates, every rule of the corpus parses
 * exactly once, diagnostics have the exact documented text, and random token soup / mutated
 * rules never throw (compile or diagnose, spans inside the source).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import fc from 'fast-check';
import { ROOT } from '../helpers/paths';
import { parseSource } from '../../signatures/parser';
import { DiagnosticBag } from '../../signatures/diagnostics';
import { compileSource } from '../../signatures/compiler';
import { keywordsMarkdown } from '../../signatures/keywords/registry';
import { ruleArb, renderRule } from './yara-gen';

test('committed grammar is up to date with quell.ne', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'quell-ne-')), 'g.ts');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/nearley/bin/nearleyc.js'), path.join(ROOT, 'signatures/grammar/quell.ne'), '-o', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(out, 'utf8'), fs.readFileSync(path.join(ROOT, 'signatures/grammar/quell.ts'), 'utf8'),
    'regenerate: npx nearleyc signatures/grammar/quell.ne -o signatures/grammar/quell.ts');
});

test('docs/keywords.md is generated from the registry', () => {
  assert.equal(fs.readFileSync(path.join(ROOT, 'docs/keywords.md'), 'utf8'), keywordsMarkdown(),
    'regenerate: node dist/signatures/keywords/gen-doc.js > docs/keywords.md');
});

function parseAll(src: string): { results: unknown[][]; diags: DiagnosticBag } {
  const diags = new DiagnosticBag();
  diags.addSource('x.rules', src);
  const results: unknown[][] = [];
  parseSource(src, 'x.rules', diags, results);
  return { results, diags };
}

test('every rule of the corpus and of 500 generated rules parses exactly once', () => {
  const cdir = path.join(ROOT, 'test/signatures/corpus');
  const corpus = [fs.readFileSync(path.join(ROOT, 'signatures/rules/examples.rules'), 'utf8'),
    ...fs.readdirSync(cdir).filter((f) => f.endsWith('.rules')).map((f) => fs.readFileSync(path.join(cdir, f), 'utf8'))];
  for (const r of fc.sample(ruleArb, { numRuns: 500, seed: 7 })) corpus.push(renderRule('g', r));
  let items = 0;
  for (const src of corpus) {
    const { results, diags } = parseAll(src);
    assert.equal(diags.errorCount, 0, diags.list.map((d) => diags.format(d)).join('\n'));
    for (const r of results) { assert.equal(r.length, 1, `ambiguous parse (${r.length} results) in:\n${src}`); items++; }
  }
  assert.ok(items >= 500);
  for (const f of fs.readdirSync(cdir).filter((x) => x.endsWith('.rules'))) {
    const res = compileSource(fs.readFileSync(path.join(cdir, f), 'utf8'), path.join(cdir, f));
    assert.equal(res.diags.errorCount, 0, res.diags.list.map((d) => res.diags.format(d)).join('\n'));
  }
});

test('diagnostics: exact text, several errors per file', () => {
  const src = 'rule a { condition: $a and or $b }\nrule b { strings: $x = "abc" condition: $y }\nrule a { condition: true }\n';
  const res = compileSource(src, 'bad.rules');
  const text = res.diags.sorted().map((d) => res.diags.format(d)).join('\n');
  assert.equal(text, [
    'bad.rules:1:28: error[E002]: unexpected `or`',
    '1 | rule a { condition: $a and or $b }',
    '  |                            ^~',
    'help: expected one of !name, #name, @name, `(`, `-`, `all`, `any`, `defined`, `entrypoint`, `false`, `filesize`, `for`, ...',
    'bad.rules:2:19: error[E015]: string `$x` is never used in the condition',
    '2 | rule b { strings: $x = "abc" condition: $y }',
    '  |                   ^~',
    'help: use it (`$x`, `any of them`) or remove it',
    'bad.rules:2:41: error[E014]: undefined string `$y`',
    '2 | rule b { strings: $x = "abc" condition: $y }',
    '  |                                         ^~',
    'help: did you mean `$x`?',
  ].join('\n'));
  assert.equal(res.ruleset, null);
});

test('replace must keep the length; webhook URL checked; unknown buffer suggested', () => {
  const src = [
    'rule r { strings: $a = "abc" condition: $a action: replace $a with "abcd" }',
    'rule s { strings: $a = "abc" in http.urii condition: $a action: webhook "ftp:/x" }',
  ].join('\n');
  const res = compileSource(src, 'a.rules');
  const codes = res.diags.sorted().map((d) => d.code);
  assert.deepEqual(codes, ['E026', 'E022', 'E025']);
  assert.match(res.diags.list.find((d) => d.code === 'E022')!.help!, /http\.uri/);
});

test('regressions found by long fuzz runs compile or diagnose without throwing', () => {
  for (const src of [
    'set bad = ["a"]\nrule x { condition: dns.q > bad or dns.query > bad }',
    'const N = "s"\nconst M = 3\nrule y { condition: N and M and http.uri == N }',
  ]) {
    const res = compileSource(src, 'r.rules');
    assert.ok(res.diags.errorCount > 0);
  }
});

test('fuzz: token soup and mutated rules never throw; spans stay inside the source', () => {
  const toks = ['rule', 'r', '{', '}', 'condition', ':', 'strings', '$a', '=', '"x"', '/a+/', '{ 61 62 }', 'and', 'or', 'not', '(', ')',
    '#a', '@a[1]', 'of', 'them', 'for', 'any', 'in', '..', '1', '0x10', 'uint8(0)', 'http.uri', 'contains', 'meta', 'sid', 'action', 'drop', 'flow', ';', '\\', '/', '"', '[', ']'];
  const soup = fc.array(fc.constantFrom(...toks), { maxLength: 30 }).map((a) => a.join(' '));
  const mutated = fc.tuple(ruleArb, fc.nat(), fc.nat(), fc.constantFrom('', '}', '{', '(', ')', '"', '/', 'and', '$', ':')).map(([r, i, j, ins]) => {
    const t = renderRule('m', r);
    const a = i % (t.length + 1), b = Math.min(t.length, a + (j % 5));
    return t.slice(0, a) + ins + t.slice(b);
  });
  // mutations of the network-syntax corpus (scope, actions, sets, fields)
  const base = fs.readFileSync(path.join(ROOT, 'test/signatures/corpus/network.rules'), 'utf8');
  const netMutated = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('', '}', '{', '(', ')', '"', ';', 'and', '$a', ':', '[', '..', 'in', '=')).map(([i, j, ins]) => {
    const a = i % (base.length + 1), b = Math.min(base.length, a + (j % 7));
    return base.slice(0, a) + ins + base.slice(b);
  });
  fc.assert(fc.property(fc.oneof(soup, mutated, netMutated), (src) => {
    const res = compileSource(src, 'f.rules');
    if (!res.ruleset) assert.ok(res.diags.errorCount > 0, 'no ruleset without an error');
    for (const d of res.diags.list) {
      assert.ok(d.offset >= 0 && d.offset + d.length <= src.length + 1, `span ${d.offset}+${d.length} outside ${src.length}`);
      assert.match(d.code, /^[EW]\d{3}$/);
    }
  }), { numRuns: 1500, seed: 11 });
});
