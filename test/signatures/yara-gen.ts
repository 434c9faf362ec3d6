/**
 * fast-check generators of rules in the YARA-compatible core and of byte strings, shared by the
 * differential test (yara-diff.test.ts) and the parser fuzz test. Rules are generated as text
 * that yara 4.2.3 accepts (no constant division by zero, every string referenced via `them`).
 */
import fc from 'fast-check';

const TEXT_CH = ['a', 'b', 'c', 'A', 'B', ' ', '\\x00', '\\x01', 'ab', 'ba'];
export const textArb = fc.array(fc.constantFrom(...TEXT_CH), { minLength: 1, maxLength: 3 }).map((a) => a.join(''));
const textModsArb = fc.subarray(['nocase', 'wide', 'ascii', 'fullword', 'private']);

const HEX_BYTE = ['61', '62', '63', '41', '00', '20', '6?', '?1'];
const hexItem: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HEX_BYTE) },
  { weight: 1, arbitrary: fc.constant('??') },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })).map(([a, b]) => `[${a}-${a + b}]`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('61', '62', '63 61', '00'), fc.constantFrom('62', '41 41', '63', '20')).map(([a, b]) => `( ${a} | ${b} )`) },
);
const hexConcrete = fc.constantFrom('61', '62', '63', '41', '00', '20');
export const hexArb = fc.tuple(hexConcrete, fc.array(hexItem, { maxLength: 3 }), hexConcrete).map(([a, mid, b]) => `{ ${[a, ...mid, b].join(' ')} }`);

const reAtom = fc.constantFrom('a', 'b', 'c', '[ab]', '[^a]', '.', '\\x00', 'A', ' ', '(a|bc)', '[a-c]', '\\s');
const reQuant = fc.constantFrom('', '', '', '?', '*', '+', '{1,2}', '{2}');
export const regexArb = fc.tuple(fc.constantFrom('a', 'b', 'c', 'ab', 'A'), fc.array(fc.tuple(reAtom, reQuant).map(([a, q]) => a + q), { maxLength: 3 }), fc.constantFrom('', 'i', 's', 'is'))
  .map(([first, rest, flags]) => `/${first}${rest.join('')}/${flags}`);
const regexModsArb = fc.subarray(['nocase', 'fullword', 'private']);

export interface GenString { kind: 'text' | 'hex' | 'regex'; src: string }
export const stringArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(textArb, textModsArb).map(([t, m]) => `"${t}"${m.length ? ' ' + m.join(' ') : ''}`) },
  { weight: 2, arbitrary: hexArb },
  { weight: 2, arbitrary: fc.tuple(regexArb, regexModsArb).map(([r, m]) => `${r}${m.length ? ' ' + m.join(' ') : ''}`) },
);

const small = fc.integer({ min: 0, max: 12 });
function boolExpr(names: string[], depth: number): fc.Arbitrary<string> {
  const s = fc.constantFrom(...names);
  const bare = (n: string) => n.slice(1);
  const leaves: fc.Arbitrary<string>[] = [
    s,
    fc.tuple(s, fc.constantFrom('>', '==', '>=', '<', '!='), fc.integer({ min: 0, max: 4 })).map(([n, op, k]) => `#${bare(n)} ${op} ${k}`),
    fc.tuple(s, fc.integer({ min: 0, max: 3 }), fc.constantFrom('==', '<', '>'), small).map(([n, i, op, k]) => `@${bare(n)}[${i}] ${op} ${k}`),
    fc.tuple(s, fc.integer({ min: 1, max: 2 }), fc.constantFrom('==', '>'), fc.integer({ min: 0, max: 5 })).map(([n, i, op, k]) => `!${bare(n)}[${i}] ${op} ${k}`),
    fc.tuple(s, small).map(([n, k]) => `${n} at ${k}`),
    fc.tuple(s, small, small).map(([n, a, b]) => `${n} in (${a}..${a + b})`),
    // `#a in (lo..hi)` is left out: yara 4.2.3 aborts the scan with error 31 on it
    fc.tuple(fc.integer({ min: 0, max: names.length + 1 })).map(([k]) => `${k} of them`),
    fc.constantFrom('any of them', 'all of them', 'none of them', '50% of them'),
    fc.subarray(names, { minLength: 1 }).map((l) => `any of (${l.join(', ')})`),
    // `for none ...` is left out: yara 4.2.3 gets it wrong (always false for `of`, always true for `in`)
    fc.tuple(fc.constantFrom('any', 'all', '1', '2'), small).map(([q, k]) => `for ${q} of them : ( @[1] < ${k} or # > 1 )`),
    fc.tuple(s, fc.constantFrom('any', 'all', '1'), small).map(([n, q, k]) => `for ${q} i in (1..#${bare(n)}) : ( @${bare(n)}[i] >= ${k} )`),
    fc.tuple(fc.constantFrom('any', 'all', '2'), small).map(([q, k]) => `for ${q} i in (0, 1, ${k}) : ( uint8(i) == 0x61 )`),
    fc.tuple(fc.constantFrom('>', '<', '=='), fc.integer({ min: 0, max: 40 })).map(([op, k]) => `filesize ${op} ${k}`),
    fc.tuple(fc.constantFrom('uint8', 'uint16', 'uint16be', 'int8', 'uint32', 'int16be', 'int32'), small, fc.constantFrom('==', '>', '<', '!='), fc.integer({ min: -200, max: 70000 }))
      .map(([f, o, op, v]) => `${f}(${o}) ${op} ${v}`),
    fc.tuple(s, s, fc.constantFrom('+', '-', '*', '&', '|', '^', '<<', '>>', '\\', '%'), fc.integer({ min: 1, max: 3 }), fc.integer({ min: -2, max: 6 }))
      .map(([a, b, op, d, k]) => `(#${bare(a)} ${op} ${op === '\\' || op === '%' ? d : '#' + bare(b)}) > ${k}`),
    fc.tuple(s, small).map(([n, k]) => `(-@${bare(n)}[1] + ${k}) \\ 2 < 3`),
    fc.constantFrom('true', 'false'),
    fc.tuple(s, fc.constantFrom('uint8', 'int8', 'uint16be')).map(([n, f]) => `${f}(@${bare(n)}[1] + 1) == 0x62`),
    fc.tuple(s, fc.integer({ min: 1, max: 12 })).map(([n, k]) => `${n} in (filesize - ${k}..filesize)`),
    fc.tuple(fc.constantFrom('all', 'any', '2'), small).map(([q, k]) => `${q} of them in (0..${k + 8})`),
    // `N of (...) at X` is YARA 4.3+ (4.2.3 rejects it): not generated
    fc.tuple(s, fc.constantFrom('==', '<', '>')).map(([n, op]) => `-1 ${op} -#${bare(n)}`),
    fc.tuple(fc.constantFrom('any', 'all'), small).map(([q, k]) => `for ${q} of them : ( $ in (0..${k}) or ! == 2 )`),
    fc.tuple(s, small).map(([n, k]) => `for any i in (1..#${bare(n)}) : ( !${bare(n)}[i] + @${bare(n)}[i] == ${k} )`),
    fc.tuple(s, fc.integer({ min: 1, max: 3 })).map(([n, i]) => `defined @${bare(n)}[${i}]`),
    fc.tuple(fc.constantFrom('uint8', 'uint16be'), fc.integer({ min: 0, max: 50 })).map(([f, o]) => `not defined ${f}(${o})`),
    fc.tuple(s, fc.integer({ min: 1, max: 3 })).map(([n, i]) => `defined (!${bare(n)}[${i}] \\ (#${bare(n)} - 1))`),
  ];
  const leaf = fc.oneof(...leaves);
  if (depth <= 0) return leaf;
  const sub = boolExpr(names, depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 2, arbitrary: fc.tuple(sub, fc.constantFrom('and', 'or'), sub).map(([a, op, b]) => `${a} ${op} ${b}`) },
    { weight: 1, arbitrary: sub.map((a) => `not ${a}`) },
    { weight: 1, arbitrary: sub.map((a) => `(${a})`) },
    { weight: 1, arbitrary: sub.map((a) => `not (${a})`) },
  );
}

export interface GenRule { strings: string[]; cond: string }
export const ruleArb: fc.Arbitrary<GenRule> = fc.array(stringArb, { minLength: 1, maxLength: 3 }).chain((strs) => {
  const names = strs.map((_, i) => '$' + String.fromCharCode(97 + i));
  return boolExpr(names, 2).map((cond) => ({ strings: strs, cond }));
});

export function renderRule(name: string, r: GenRule, extra = '', mods = ''): string {
  const defs = r.strings.map((s, i) => `    $${String.fromCharCode(97 + i)} = ${s}`).join('\n');
  // `(any of them or true)` references every string (yara rejects unreferenced strings) and is always true
  return `${mods}rule ${name} {\n  strings:\n${defs}\n  condition:\n    (${r.cond}${extra}) and (any of them or true)\n}\n`;
}

/** Deterministic extras for rule i of a batch: references to earlier rules (plain, negated,
 *  rule sets in `of`) and private rules. */
export function ruleExtras(i: number, seed: number): { extra: string; mods: string } {
  let x = (i * 2654435761 + seed * 40503) >>> 0;
  const rnd = (n: number) => { x = (x * 1103515245 + 12345) >>> 0; return (x >>> 8) % n; };
  const mods = rnd(10) === 0 ? 'private ' : '';
  if (i === 0 || rnd(10) >= 3) return { extra: '', mods };
  const j = rnd(i), k = rnd(i);
  const op = rnd(2) ? 'and' : 'or';
  const refs = [`r${j}`, `not r${j}`, `any of (r${j}, r${k})`, `all of (r${j}, r${k})`, `1 of (r${j})`, `none of (r${k}, r${j})`];
  return { extra: ` ${op} ${refs[rnd(refs.length)]}`, mods };
}

const DATA_BYTES = [0x61, 0x62, 0x63, 0x41, 0x42, 0x20, 0x00, 0x01];
export const dataArb: fc.Arbitrary<Uint8Array> = fc.array(
  fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...DATA_BYTES) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  { maxLength: 48 },
).map((a) => Uint8Array.from(a));

/** Longer data (up to ~3 KB): a random chunk repeated with random bytes spliced in, so strings
 *  match many times at larger offsets (prefilter windows, match lists, `#a`, `@a[i]`). */
export const longDataArb: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.array(fc.constantFrom(...DATA_BYTES), { minLength: 1, maxLength: 24 }),
  fc.integer({ min: 10, max: 120 }),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
).map(([chunk, reps, splices]) => {
  const out = new Uint8Array(chunk.length * reps);
  for (let i = 0; i < out.length; i++) out[i] = chunk[i % chunk.length];
  for (const [at, b] of splices) out[at % out.length] = b;
  return out;
});
