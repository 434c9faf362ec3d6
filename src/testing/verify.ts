/**
 * Replay-case checks in the spirit of suricata-verify: a case is a capture, a ruleset and a list
 * of checks over the EVE events that replay produced.
 *
 * case.json:
 *   {
 *     "description": "...",
 *     "pcap": "input.pcap" | "${SHARED}/pcaps/...",   // relative to the case dir; ${SHARED} = ../shared
 *     "rules": "test.rules",                          // optional; relative to the case dir, ${ROOT} allowed
 *     "args": ["--simulate-ips"],                     // optional replay options
 *     "checks": [
 *       { "filter": { "count": 1, "match": { "event_type": "alert", "alert.signature_id": 1000001 } } },
 *       { "filter": { "min": 1, "match": { "event_type": "http", "has-key": "http.url" } } }
 *     ]
 *   }
 *
 * A filter selects the events whose dotted keys equal the given values (`has-key` / `not-has-key`
 * test presence) and compares how many there are with `count` (exact), `min`, `max`.
 */
export interface FilterCheck {
  count?: number;
  min?: number;
  max?: number;
  match: Record<string, unknown>;
}
export interface CaseCheck { filter: FilterCheck }

export interface CheckResult { ok: boolean; message: string }

/** Look up a dotted path ("alert.signature_id", "dns.answers.0.rdata") in an event. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object), kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function eventMatches(ev: unknown, match: Record<string, unknown>): boolean {
  for (const [k, want] of Object.entries(match)) {
    if (k === 'has-key') { if (getPath(ev, String(want)) === undefined) return false; continue; }
    if (k === 'not-has-key') { if (getPath(ev, String(want)) !== undefined) return false; continue; }
    if (!deepEqual(getPath(ev, k), want)) return false;
  }
  return true;
}

export function runCheck(events: unknown[], check: CaseCheck): CheckResult {
  const f = check.filter;
  if (!f || typeof f !== 'object' || typeof f.match !== 'object') {
    return { ok: false, message: 'check has no filter.match object' };
  }
  const n = events.reduce<number>((acc, ev) => acc + (eventMatches(ev, f.match) ? 1 : 0), 0);
  const desc = JSON.stringify(f.match);
  if (f.count !== undefined && n !== f.count) return { ok: false, message: `expected ${f.count} event(s) matching ${desc}, found ${n}` };
  if (f.min !== undefined && n < f.min) return { ok: false, message: `expected at least ${f.min} event(s) matching ${desc}, found ${n}` };
  if (f.max !== undefined && n > f.max) return { ok: false, message: `expected at most ${f.max} event(s) matching ${desc}, found ${n}` };
  if (f.count === undefined && f.min === undefined && f.max === undefined && n < 1) {
    return { ok: false, message: `expected at least one event matching ${desc}, found none` };
  }
  return { ok: true, message: `${n} event(s) matching ${desc}` };
}
