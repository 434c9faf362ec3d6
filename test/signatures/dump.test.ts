/**
 * Per-pass golden output: test/signatures/dump/NN.rules compiled and dumped (strings, chosen
 * atoms, gating class, bytecode; signatures/disasm.ts) must equal NN.dump. The dump shows the
 * result of the lower, atoms/prefilter and group passes; QUELL_UPDATE_GOLDEN=1 rewrites them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers/paths';
import { compileFiles } from '../../signatures/compiler';
import { dumpRuleset } from '../../signatures/disasm';

const DIR = path.join(ROOT, 'test', 'signatures', 'dump');
for (const f of fs.readdirSync(DIR).filter((x) => x.endsWith('.rules')).sort()) {
  test(`compiled dump ${f}`, () => {
    const res = compileFiles([path.join(DIR, f)]);
    assert.equal(res.diags.errorCount, 0, res.diags.list.map((d) => res.diags.format(d)).join('\n'));
    const text = dumpRuleset(res.ruleset!);
    const out = path.join(DIR, f.replace(/\.rules$/, '.dump'));
    if (process.env.QUELL_UPDATE_GOLDEN) fs.writeFileSync(out, text);
    assert.equal(text, fs.readFileSync(out, 'utf8'));
  });
}
