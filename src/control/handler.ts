/**
 * The control API's view of a running quell: an interface the server calls, so the inline runner
 * (or a test) backs it with real state. `OpsHandler` implements the set/ban part over a
 * SetRegistry; the runner passes callbacks for rules, reload and stats.
 *
 * Every method runs on the main thread between batches (the server is on the same event loop as
 * the runner), so a change made here is seen by the gate from the next batch on: no locks.
 */
import { SetRegistry } from '../ops/sets';
import { parsePrefix, formatPrefix } from '../ops/addr';
import { QuellError } from '../errors';

/** An API error: HTTP status + stable code. Rendered as {"error":{"code","message"}}. */
export class ApiError extends QuellError {
  constructor(readonly status: number, code: string, message: string, readonly details?: unknown) { super(code, message); }
}

export interface SetInfo { name: string; role: string; file: string | null; networks: number; dynamic: number; hits: number }
export interface SetEntry { addr: string; source: 'file' | 'dynamic'; expiresAt: string | null }
export interface RuleInfo { sid: number | string; name: string; action: string; hits: number; [k: string]: unknown }
export interface Diagnostic { severity: string; code?: string; message: string; file?: string; line?: number; column?: number; [k: string]: unknown }
export type ReloadResult = { ok: true; rules: number; [k: string]: unknown } | { ok: false; diagnostics: Diagnostic[] };

export interface ControlHandler {
  listSets(): SetInfo[];
  listEntries(set: string, limit: number): SetEntry[];
  /** ttlMs null = permanent. Throws ApiError (404 unknown set, 507 full). */
  addEntry(set: string, addr: string, ttlMs: number | null): { set: string; addr: string; expiresAt: string | null };
  removeEntry(set: string, addr: string): { set: string; addr: string; removed: boolean };
  reloadSets(): { name: string; ok: boolean; size?: number; error?: string }[];
  listRules(): RuleInfo[];
  /** Compile the rule files again; on failure the old rules stay and diagnostics come back. */
  reloadRules(): Promise<ReloadResult> | ReloadResult;
  stats(): Record<string, unknown>;
}

export interface OpsHandlerHooks {
  listRules?: () => RuleInfo[];
  reloadRules?: () => Promise<ReloadResult> | ReloadResult;
  stats?: () => Record<string, unknown>;
  /** Clock for ban expiry (ms); wall clock by default (inline packet time is wall time). */
  clock?: () => number;
}

const iso = (ms: number): string | null => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);

/** ControlHandler over a SetRegistry, with the rule/stat parts supplied as hooks. */
export class OpsHandler implements ControlHandler {
  private readonly clock: () => number;
  constructor(readonly sets: SetRegistry, readonly hooks: OpsHandlerHooks = {}) { this.clock = hooks.clock ?? Date.now; }

  private set(name: string) {
    const s = this.sets.get(name);
    if (!s) throw new ApiError(404, 'QUELL_E_API_NO_SET', `no set named ${JSON.stringify(name)} (known: ${this.sets.all().map((x) => x.name).join(', ') || 'none'})`);
    return s;
  }
  private prefix(addr: string) {
    const p = parsePrefix(addr);
    if (!p) throw new ApiError(400, 'QUELL_E_API_BAD_ADDR', `not an IPv4/IPv6 address or network: ${JSON.stringify(addr)}`);
    return p;
  }

  listSets(): SetInfo[] {
    const now = this.clock();
    return this.sets.all().map((s) => ({ name: s.name, role: s.role, file: s.file, networks: s.cidrs.size, dynamic: s.timed.entries(now).length, hits: s.hits }));
  }
  listEntries(name: string, limit: number): SetEntry[] {
    const s = this.set(name);
    const out: SetEntry[] = s.timed.entries(this.clock(), limit).map((e) => ({ addr: e.addr, source: 'dynamic' as const, expiresAt: iso(e.expiresAt) }));
    for (const a of s.cidrs.list(limit - out.length)) out.push({ addr: a, source: 'file', expiresAt: null });
    return out;
  }
  addEntry(name: string, addr: string, ttlMs: number | null) {
    const s = this.set(name);
    const p = this.prefix(addr);
    const r = s.addEntry(p, this.clock(), ttlMs === null ? Infinity : ttlMs);
    if (!r.ok) throw new ApiError(507, 'QUELL_E_API_SET_FULL', `set ${name} is full (MAX_BANS dynamic entries)`);
    return { set: name, addr: formatPrefix(r.entry), expiresAt: iso(r.expiresAt) };
  }
  removeEntry(name: string, addr: string) {
    const s = this.set(name);
    const p = this.prefix(addr);
    const r = s.removeEntry(p);
    if (r.file > 0) this.sets.changed(); // file networks changed: workers need a new snapshot
    return { set: name, addr: formatPrefix(p), removed: r.dynamic || r.file > 0 };
  }
  reloadSets() { return this.sets.reloadAll(); }
  listRules(): RuleInfo[] { return this.hooks.listRules ? this.hooks.listRules() : []; }
  reloadRules(): Promise<ReloadResult> | ReloadResult {
    if (!this.hooks.reloadRules) throw new ApiError(501, 'QUELL_E_API_UNSUPPORTED', 'this instance has no rule files to reload');
    return this.hooks.reloadRules();
  }
  stats(): Record<string, unknown> {
    const base = this.hooks.stats ? this.hooks.stats() : {};
    return { ...base, sets: { allowed: this.sets.allowed, blocked: this.sets.blocked } };
  }
}
