import { UsageError } from '../errors';

export interface FlagSpec {
  /** flag names that take a value, e.g. ['--eve', '--workers'] */
  values?: string[];
  /** boolean flags, e.g. ['--stats', '--quiet'] */
  bools?: string[];
  /** short aliases: { '-s': '--print-strings' } */
  alias?: Record<string, string>;
  /** flags that may repeat (values collected into an array) */
  multi?: string[];
}

export interface ParsedArgs {
  flags: Map<string, string | boolean | string[]>;
  positional: string[];
}

/** Small strict parser: unknown flags are usage errors (exit 2). `--flag=value` and `--flag value`. */
export function parseArgs(argv: string[], spec: FlagSpec): ParsedArgs {
  const values = new Set(spec.values ?? []);
  const bools = new Set(spec.bools ?? []);
  const multi = new Set(spec.multi ?? []);
  const flags = new Map<string, string | boolean | string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (a === '-' || !a.startsWith('-')) { positional.push(a); continue; }
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { inline = a.slice(eq + 1); a = a.slice(0, eq); }
    if (spec.alias && spec.alias[a]) a = spec.alias[a];
    if (bools.has(a)) {
      if (inline !== undefined) throw new UsageError(`flag ${a} takes no value`);
      flags.set(a, true);
    } else if (values.has(a) || multi.has(a)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`flag ${a} needs a value`);
      if (multi.has(a)) {
        const prev = flags.get(a);
        flags.set(a, Array.isArray(prev) ? [...prev, v] : [v]);
      } else flags.set(a, v);
    } else {
      throw new UsageError(`unknown flag ${a}`);
    }
  }
  return { flags, positional };
}

export function flagStr(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
export function flagBool(p: ParsedArgs, name: string): boolean { return p.flags.get(name) === true; }
export function flagInt(p: ParsedArgs, name: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = flagStr(p, name);
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} needs a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}
