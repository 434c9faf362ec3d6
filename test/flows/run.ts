/**
 * Test helpers for the flow truth tests: run the engine in this process over a capture and
 * collect `quell flows` records (same code path as the CLI with --workers 1).
 */
import { runReplay } from '../../src/engine/replay';
import type { EngineOptions, QuellEngine } from '../../src/engine/pipeline';

export interface FlowRec {
  src: string; sport: number; dst: string; dport: number; proto: string; vlan: number[]; app: string | null;
  pkts_toserver: number; pkts_toclient: number; bytes_toserver: number; bytes_toclient: number;
  start: string; end: string; state: string;
  http: { method: string | null; uri: string | null; host: string | null; user_agent: string | null; status: number | null; interim_status?: number }[];
  dns: { query: string; qtype: string; rcode: string | null; answers: string[]; updates?: string[] }[];
  /** SOCKS flows only */
  socks?: { version: number; cmd: number; host: string; port: number; user?: string; reply: number | null };
}

export async function flowsOf(file: string, engine: EngineOptions = {}, onEngine?: (e: QuellEngine) => void): Promise<FlowRec[]> {
  const out: FlowRec[] = [];
  await runReplay(file, {
    workers: 1, format: 'flows', engine, onEngine,
    write: (lines) => { for (const l of lines) out.push(JSON.parse(l) as FlowRec); },
  });
  return out;
}

export async function eveOf(file: string, engine: EngineOptions = {}): Promise<Record<string, any>[]> {
  const out: Record<string, any>[] = [];
  await runReplay(file, {
    workers: 1, format: 'eve', engine,
    write: (lines) => { for (const l of lines) out.push(JSON.parse(l)); },
  });
  return out;
}

/** Canonical text of an address for matching (IPv6 lower-case, compressed by the engine already). */
export function tupleKey(proto: string, a: string, ap: number, b: string, bp: number): string {
  const x = `${a}|${ap}`, y = `${b}|${bp}`;
  return `${proto.toLowerCase()}|${x < y ? x + '|' + y : y + '|' + x}`;
}
