/**
 * Shared pieces of the benches: the deterministic text corpus (README files under node_modules)
 * and the rules made from it. Used by bench/replay/run.ts, bench/scan/run.ts, bench/scan/compile.ts.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Project root (this file runs as dist/bench/lib.js). */
export const ROOT = path.resolve(__dirname, '..', '..');

/** Every README.md under node_modules (two directory levels deep), sorted, joined by newlines (latin1). */
export function readmeText(): string {
  const parts: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && depth < 2) walk(p, depth + 1);
      else if (e.isFile() && /^readme\.md$/i.test(e.name)) parts.push(fs.readFileSync(p, 'latin1'));
    }
  };
  walk(path.join(ROOT, 'node_modules'), 0);
  parts.sort();
  return parts.join('\n');
}

/** The distinct words (letters only, >= 5 long) of `text`, sorted. */
export function corpusWords(text: string = readmeText()): string[] {
  return [...new Set(text.split(/[^A-Za-z]+/).filter((w) => w.length >= 5))].sort();
}

/** `n` literal rules (valid Quell and YARA text): rule r<i> matches a two-word phrase of `words`, chosen deterministically. */
export function phraseRules(words: string[], n: number): string {
  let src = '';
  for (let i = 0; i < n; i++) src += `rule r${i} { strings: $a = "${words[(i * 7919) % words.length]} ${words[(i * 104729 + 13) % words.length]}" condition: $a }\n`;
  return src;
}
