/**
 * Compiled rule conditions (signatures/jit.ts) against the bytecode interpreter, same run:
 * a Matcher over signatures/rules/default.rules with `jit: true` and `jit: false`, evaluating the
 * always-run rules (every rule without a string gate) for a 64-byte UDP packet's fields, rounds
 * interleaved; prints ns per evaluate() for each and the ratio.
 *
 *   node dist/bench/scan/jit.js [--rounds 5] [--n 2000000] [--rules FILE]
 */
import * as fs from 'fs';
import { compileSource } from '../../signatures/compiler';
import { Matcher, FieldSource, ByteSlice } from '../../signatures/runtime';
import { FIELD_ID } from '../../signatures/keywords/registry';

function arg(name: string, dflt: string): string { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : dflt; }

const NUMS: Record<number, number> = {
  [FIELD_ID.get('ip.proto')!]: 17, [FIELD_ID.get('ip.ttl')!]: 64, [FIELD_ID.get('udp.dport')!]: 9000,
  [FIELD_ID.get('udp.sport')!]: 40000, [FIELD_ID.get('flow.to_server')!]: 1,
};
/** A UDP packet to the server: numeric fields from a table, no app fields, rates constant. */
const fields: FieldSource = {
  protoMask: () => 0b101, num: (f) => NUMS[f] ?? NaN, bytes: (_f: number, _k: string | null, _o: ByteSlice) => false,
  event: () => false, flowHas: () => false, flowTag: () => undefined, rate: () => 3,
};

function main(): void {
  const file = arg('--rules', 'signatures/rules/default.rules');
  const rounds = Number(arg('--rounds', '5')), n = Number(arg('--n', '2000000'));
  const res = compileSource(fs.readFileSync(file, 'utf8'), file);
  if (!res.ruleset) throw new Error(`${file} does not compile`);
  const ms = { jit: new Matcher(res.ruleset), interp: new Matcher(res.ruleset, { jit: false }) };
  const run = (m: Matcher, k: number): number => {
    const t0 = process.hrtime.bigint();
    let hits = 0;
    for (let i = 0; i < k; i++) { m.begin(); hits += m.evaluate(fields).count; }
    if (hits < 0) throw new Error('unreachable');
    return Number(process.hrtime.bigint() - t0) / k;
  };
  run(ms.jit, n / 4); run(ms.interp, n / 4);   // warm-up
  const out: Record<string, number[]> = { jit: [], interp: [] };
  for (let r = 0; r < rounds; r++) { out.jit.push(run(ms.jit, n)); out.interp.push(run(ms.interp, n)); }
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
  process.stdout.write(JSON.stringify({
    rules: file, always_run_rules: res.ruleset.rules.filter((r) => !r.needsString && r.lookupField < 0).length,
    ns_per_evaluate: { jit: +med(out.jit).toFixed(1), interpreter: +med(out.interp).toFixed(1) },
    ratio_interpreter_over_jit: +(med(out.interp) / med(out.jit)).toFixed(2),
    rounds: out,
  }) + '\n');
}

main();
