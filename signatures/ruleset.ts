/**
 * CompiledRuleset: the immutable output of the compiler. Plain data (typed arrays, strings,
 * numbers), so it can be structured-cloned to workers or written with serializeRuleset().
 */
import * as v8 from 'v8';
import type { AcTables } from './ac';
import type { CompiledPattern } from './patterns';

export const RULESET_FORMAT = 1;

export interface StringEntry {
  rule: number;
  name: string;              // "$a"
  kind: 'text' | 'hex' | 'regex';
  private: boolean;
  field: number;             // buffer field id
  key: string | null;        // http.header["Name"]
  nocase: boolean;
  fullword: boolean;
  /** text: literal variants (ascii and/or wide), exact bytes */
  lits: Uint8Array[];
  litWide: boolean[];
  /** hex/regex: one compiled pattern per variant (wide variant for wide regexes) */
  pats: CompiledPattern[];
  patWide: boolean[];
  /** hex/regex without usable atoms: scanned fully with findAll */
  fullScan: boolean;
}

export interface ActionSpec {
  verb: 'accept' | 'drop' | 'reject' | 'replace' | 'mark' | 'alert' | 'log' | 'block' | 'exec' | 'webhook';
  /** accept/drop: 'packet' | 'flow'; block: 'src' | 'dst' */
  target?: string;
  /** replace: string index and bytes; mark: value; block: seconds */
  string?: number;
  bytes?: Uint8Array;
  value?: number;
  /** exec: program and args; webhook: url */
  argv?: string[];
  url?: string;
}

export interface RuleEntry {
  name: string;
  file: string;
  line: number;
  private: boolean;
  global: boolean;
  tags: string[];
  meta: Record<string, string | number | boolean>;
  sid: number;           // 0 when absent
  rev: number;
  msg: string;
  codeStart: number;
  codeEnd: number;
  firstString: number;
  stringCount: number;
  /** the condition cannot be true unless one of the rule's strings matched (prefilter gating) */
  needsString: boolean;
  /** the rule only runs when this field's value is one of its constants (lookups), -1 none */
  lookupField: number;
  decision: number;      // Decision
  mark: number;          // -1 none
  actions: ActionSpec[];
}

export interface SetEntry {
  kind: 'str' | 'domain' | 'cidr' | 'port';
  /** str/domain: lower-cased latin1 strings (domain: without trailing dot) */
  strs?: string[];
  /** cidr v4: sorted merged [start, end] pairs (uint32 as numbers); v6: sorted hex ranges */
  v4?: Float64Array;
  v6?: string[];
  /** port: sorted [lo, hi] pairs */
  ports?: Int32Array;
  name: string;
}

export interface PrefilterEntry {
  field: number;
  ac: AcTables;
  /** per atom id: string index, variant index (0..), atom offset inside the match (backtrack), or -1 unbounded */
  atomString: Int32Array;
  atomVariant: Int32Array;
  atomBack: Int32Array;
  atomLen: Int32Array;
  /** per atom: bit0 nocase, bit1 fullword, bit2 wide variant, bit3 hex/regex (verified by the pattern engine) */
  atomFlags: Int32Array;
  /** text atoms: the whole literal in litPool (lower-cased when nocase), for a flat memcmp */
  atomLitOff: Int32Array;
  atomLitLen: Int32Array;
  litPool: Uint8Array;
  /** strings of this buffer scanned fully (no atoms) */
  fullScan: Int32Array;
}

/** constants -> rules for rules of the shape `FIELD == "a" or FIELD == "b"` (CSR: rules[start[i]..start[i+1]) for keys[i]) */
export interface LookupEntry { field: number; keys: string[]; start: Int32Array; rules: Int32Array }

export interface CompiledRuleset {
  lookups: LookupEntry[];
  format: number;
  rules: RuleEntry[];
  strings: StringEntry[];
  code: Int32Array;
  consts: Float64Array;
  /** byte-string constants (BYTES_CMP operands, keys) */
  bconsts: Uint8Array[];
  /** text constants (flow tags, header names) */
  tconsts: string[];
  /** regexes used by `matches` in conditions */
  condPatterns: CompiledPattern[];
  sets: SetEntry[];
  prefilters: PrefilterEntry[];
  /** keyed-buffer strings (http.header["X"]) evaluated at evaluate() time */
  lateStrings: Int32Array;
  nVars: number;
  nCounters: number;
  /** counters: by (0 src, 1 dst, 2 flow), window in ms */
  counterBy: Int32Array;
  counterWindowMs: Float64Array;
  stats: { rules: number; strings: number; atoms: number; acStates: number; compileMs: number };
}

export function serializeRuleset(rs: CompiledRuleset): Buffer { return v8.serialize(rs); }
export function deserializeRuleset(b: Buffer): CompiledRuleset {
  const rs = v8.deserialize(b) as CompiledRuleset;
  if (rs.format !== RULESET_FORMAT) throw new Error(`ruleset format ${rs.format}, expected ${RULESET_FORMAT}`);
  return rs;
}
