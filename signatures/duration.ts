/**
 * Durations as rules, the control API and the command line write them: "500ms", "30s", "10m",
 * "2h", "1d". One parser for all of them (src/ops re-exports it).
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or -1 when `s` is not a duration (or overflows a safe integer). */
export function parseDuration(s: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(s.trim());
  if (!m) return -1;
  const v = Number(m[1]) * UNIT_MS[m[2]];
  return Number.isSafeInteger(v) ? v : -1;
}
