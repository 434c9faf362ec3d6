/** Every stable error code used in the source is documented in docs/errors.md. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers/paths';

function walk(dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'build' && e.name !== 'node_modules') walk(p, out); }
    else if (/\.(ts|cc|h)$/.test(e.name) && !e.name.endsWith('.test.ts')) out.push(p);
  }
}

test('every QUELL_E_* code in src/, decoders/, signatures/ and native/ is in docs/errors.md', () => {
  const files: string[] = [];
  for (const d of ['src', 'decoders', 'signatures', 'native']) walk(path.join(ROOT, d), files);
  const codes = new Set<string>();
  for (const f of files) for (const m of fs.readFileSync(f, 'utf8').matchAll(/QUELL_E_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_])/g)) codes.add(m[0]);
  assert.ok(codes.size > 20, `found ${codes.size} codes`);
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  const missing = [...codes].filter((c) => !doc.includes('`' + c + '`')).sort();
  assert.deepEqual(missing, [], `undocumented error codes: ${missing.join(', ')}`);
});
