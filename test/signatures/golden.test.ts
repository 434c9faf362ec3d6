/**
 * Golden diagnostics: every test/signatures/golden/NN-name.rules is compiled and its formatted
 * diagnostics must equal NN-name.out exactly (file:line:col, code, message, source line,
 * caret/tilde span, help). QUELL_UPDATE_GOLDEN=1 rewrites the .out files (review the diff).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers/paths';
import { compileFiles } from '../../signatures/compiler';

const DIR = path.join(ROOT, 'test', 'signatures', 'golden');

for (const f of fs.readdirSync(DIR).filter((x) => x.endsWith('.rules')).sort()) {
  test(`golden diagnostics ${f}`, () => {
    const cwd = process.cwd();
    process.chdir(DIR); // file names in diagnostics are relative to the working directory
    try {
      const res = compileFiles([f]);
      const text = res.diags.sorted().map((d) => res.diags.format(d)).join('\n\n') + '\n';
      const out = path.join(DIR, f.replace(/\.rules$/, '.out'));
      if (process.env.QUELL_UPDATE_GOLDEN) fs.writeFileSync(out, text);
      assert.equal(text, fs.readFileSync(out, 'utf8'));
      assert.ok(res.diags.list.length > 0);
    } finally { process.chdir(cwd); }
  });
}
