/**
 * Rule conditions compiled to JavaScript functions, for the rules the Matcher runs on every
 * packet (no string gate: field, rate, scan and flow conditions).
 *
 * Why: the bytecode interpreter (runtime.ts exec) dispatches every operation through a switch and
 * a value stack; for a small condition such as `ip.proto == 17 and flow.to_server and
 * scan.ports(window = 10s) > 50` that dispatch costs more than the work (bench/scan/jit.ts, same
 * run: default.rules' always-run rules 176 ns per evaluation interpreted, 106-108 ns compiled). Here the bytecode is decompiled, once per
 * ruleset load, into one JS expression per rule (the stack machine's values become nested
 * expressions; `and`/`or` jumps become conditionals), which V8 optimises like any other function.
 *
 * Semantics are the interpreter's, operation for operation: NaN for undefined values, comparisons
 * with NaN give NaN, `and`/`or` short-circuit in code order and leave 0/1 as the interpreter does,
 * side effects (rate counters) happen in the same order. Only a subset of the operations is
 * compiled (listed in `compileCondition`); a rule with any other operation returns null and keeps
 * the interpreter. test/signatures/jit.test.ts compares both on generated rules and inputs.
 *
 * Generated code contains only numbers and indexes produced by the compiler (no rule text), and
 * reads the Matcher's match counts and rule results through the object passed in.
 */
import type { CompiledRuleset, RuleEntry } from './ruleset';
import { Op, OP_SIZE, Quant } from './bytecode';
import type { FieldSource } from './runtime';

/** What a compiled condition reads from the Matcher (its match counts and this pass's results). */
export interface JitMatcherView { readonly mCnt: Int32Array; readonly results: Float64Array }
export type CompiledCondition = (m: JitMatcherView, f: FieldSource) => number;

/** Largest condition compiled, in bytecode operations (about: words / 2); larger ones stay with the
 *  interpreter, so the generated source stays small. */
export const JIT_MAX_OPS = 256;

const CMP: Record<number, string> = { [Op.EQ]: '===', [Op.NE]: '!==', [Op.LT]: '<', [Op.LE]: '<=', [Op.GT]: '>', [Op.GE]: '>=' };

/**
 * Compiled conditions per ruleset object, shared by every Matcher over it: each `new Function`
 * is a function of its own for V8 (its own tier-up), so Matchers over one ruleset (the inline
 * JIT warm-up's throwaway engines and the real one, src/inline/warmup.ts) must share the same
 * function objects for the warm-up to warm them.
 */
const cache = new WeakMap<CompiledRuleset, (CompiledCondition | null | undefined)[]>();

/** compileCondition, once per (ruleset, rule index). */
export function conditionFor(rs: CompiledRuleset, ruleIndex: number): CompiledCondition | null {
  let a = cache.get(rs);
  if (a === undefined) { a = new Array<CompiledCondition | null | undefined>(rs.rules.length).fill(undefined); cache.set(rs, a); }
  let fn = a[ruleIndex];
  if (fn === undefined) { fn = compileCondition(rs, rs.rules[ruleIndex]); a[ruleIndex] = fn; }
  return fn;
}

/** Compile `rule`'s condition, or null when it uses an operation outside the compiled subset. */
export function compileCondition(rs: CompiledRuleset, rule: RuleEntry): CompiledCondition | null {
  const code = rs.code;
  if (rule.codeEnd - rule.codeStart > JIT_MAX_OPS * 2) return null;
  let temps = 0;
  const tconsts: string[] = [];
  const num = (x: number): string => {
    if (Number.isFinite(x)) return Object.is(x, -0) ? '-0' : `(${String(x)})`;
    return x !== x ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  };
  /** Decompile [start, end) into the expressions it leaves on the stack; null: not compilable. */
  const tr = (start: number, end: number): string[] | null => {
    const st: string[] = [];
    let pc = start;
    while (pc < end) {
      const op = code[pc];
      const n = OP_SIZE[op];
      if (!(n > 0)) return null;
      switch (op) {
        case Op.CONST: st.push(num(rs.consts[code[pc + 1]])); break;
        case Op.NUM_FIELD: st.push(`f.num(${code[pc + 1]})`); break;
        case Op.EQ: case Op.NE: case Op.LT: case Op.LE: case Op.GT: case Op.GE: {
          if (st.length < 2) return null;
          const b = st.pop()!, a = st.pop()!;
          const x = `t${temps++}`, y = `t${temps++}`;
          st.push(`((${x} = ${a}), (${y} = ${b}), (${x} !== ${x} || ${y} !== ${y}) ? NaN : (${x} ${CMP[op]} ${y} ? 1 : 0))`);
          break;
        }
        case Op.NOT: { if (!st.length) return null; const x = `t${temps++}`; st.push(`((${x} = ${st.pop()}) !== ${x} ? NaN : (${x} === 0 ? 1 : 0))`); break; }
        case Op.TOBOOL: { if (!st.length) return null; const x = `t${temps++}`; st.push(`((${x} = ${st.pop()}) === ${x} && ${x} !== 0 ? 1 : 0)`); break; }
        case Op.DEFINED: { if (!st.length) return null; const x = `t${temps++}`; st.push(`((${x} = ${st.pop()}) === ${x} ? 1 : 0)`); break; }
        case Op.JF_OR_POP: case Op.JT_OR_POP: {
          // `a JF L; b; L:` is `a and b` (0 when a is not truthy); JT: `a or b` (1 when it is)
          const target = code[pc + 1];
          if (!st.length || target <= pc || target > end) return null;
          const a = st.pop()!;
          const right = tr(pc + n, target);
          if (right === null || right.length !== 1) return null;
          const x = `t${temps++}`;
          st.push(op === Op.JF_OR_POP
            ? `((${x} = ${a}) === ${x} && ${x} !== 0 ? ${right[0]} : 0)`
            : `((${x} = ${a}) === ${x} && ${x} !== 0 ? 1 : ${right[0]})`);
          pc = target;
          continue;
        }
        case Op.FOUND: st.push(`(m.mCnt[${code[pc + 1]}] > 0 ? 1 : 0)`); break;
        case Op.COUNT: st.push(`m.mCnt[${code[pc + 1]}]`); break;
        case Op.RULE: st.push(`m.results[${code[pc + 1]}]`); break;
        case Op.EVENT: st.push(`(f.event(${code[pc + 1]}) ? 1 : 0)`); break;
        case Op.FLOW_HAS: tconsts.push(rs.tconsts[code[pc + 1]]); st.push(`(f.flowHas(S[${tconsts.length - 1}]) ? 1 : 0)`); break;
        case Op.RATE: st.push(`f.rate(${code[pc + 1]}, ${code[pc + 2]}, ${num(code[pc + 3])})`); break;
        case Op.PROTO: st.push(`((f.protoMask() & ${code[pc + 1]}) !== 0 ? 1 : 0)`); break;
        case Op.OF: {
          const k = code[pc + 1], kind = code[pc + 2];
          if (kind !== Quant.ANY && kind !== Quant.ALL && kind !== Quant.NONE) return null;
          if (k < 1 || st.length < k) return null;
          const items = st.splice(st.length - k, k);
          // every item is evaluated, in order, as the interpreter does (they are on its stack)
          const sum = items.map((it) => { const x = `t${temps++}`; return `((${x} = ${it}) === ${x} && ${x} !== 0 ? 1 : 0)`; }).join(' + ');
          const c = `t${temps++}`;
          st.push(kind === Quant.ANY ? `((${c} = ${sum}) > 0 ? 1 : 0)` : kind === Quant.ALL ? `((${c} = ${sum}) === ${k} ? 1 : 0)` : `((${c} = ${sum}) === 0 ? 1 : 0)`);
          break;
        }
        default: return null;
      }
      pc += n;
    }
    return st;
  };
  const out = tr(rule.codeStart, rule.codeEnd);
  if (out === null || out.length !== 1) return null;
  const decl = temps > 0 ? `let ${Array.from({ length: temps }, (_, i) => `t${i}`).join(', ')};` : '';
  const src = `"use strict"; return function rule_${rule.name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40)}(m, f) { ${decl} return ${out[0]}; };`;
  try {
    // eslint-disable-next-line no-new-func
    return new Function('S', src)(tconsts) as CompiledCondition;
  } catch {
    return null;   // never expected (the source is generated); the interpreter stays correct
  }
}
