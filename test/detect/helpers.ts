/**
 * Helpers for detection tests: crafted captures written to a temp dir, replayed in-thread through
 * runReplay() with a ruleset compiled from text, EVE lines parsed back.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runReplay } from '../../src/engine/replay';
import { compileRules, DetectMode } from '../../src/engine/detect';
import type { Trace } from '../../src/io/craft';

export type Eve = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-detect-'));
process.on('exit', () => { try { fs.rmSync(TMP, { recursive: true, force: true }); } catch { /* gone */ } });

let n = 0;
export function writeTrace(t: Trace, name = 'cap'): string {
  const f = path.join(TMP, `${name}-${n++}.pcap`);
  fs.writeFileSync(f, t.toPcap());
  return f;
}

export function compileOk(text: string) {
  const c = compileRules(text, 'test.rules');
  if (!c.ruleset) throw new Error('rules do not compile:\n' + c.diagnostics.map((d) => d.text).join('\n'));
  return c.ruleset;
}

/** Replay `pcap` with `rules` (text); returns every EVE event. */
export async function replayEve(pcap: string, rules: string, o: { mode?: DetectMode; workers?: number; engine?: Record<string, unknown> } = {}): Promise<Eve[]> {
  const ruleset = compileOk(rules);
  const lines: string[] = [];
  await runReplay(pcap, {
    workers: o.workers ?? 1, format: 'eve', engine: o.engine ?? {},
    write: (l) => { lines.push(...l); },
    detect: { ruleset, mode: o.mode ?? 'ids' },
  });
  return lines.map((l) => JSON.parse(l));
}

export const alerts = (evs: Eve[], sid?: number) => evs.filter((e) => e.event_type === 'alert' && (sid === undefined || e.alert.signature_id === sid));
export const drops = (evs: Eve[]) => evs.filter((e) => e.event_type === 'drop');
