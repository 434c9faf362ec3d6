/**
 * Offline replay worker thread: owns one engine (one shard of the flows). Receives per-round
 * messages from the reader thread (src/engine/replay.ts):
 *   { type: 'batch', round, data: SharedArrayBuffer, desc: Uint32Array, count, nowUs, firstOrd }
 *   { type: 'finish', round, firstOrd }
 * and answers each with { round, lines: string[], keys: Float64Array } (6 keys per line, see
 * order.ts), plus { stats } on finish. Lines are formatted here so only strings cross threads.
 */
import { parentPort, workerData } from 'worker_threads';
import { DESC_STRIDE, PacketBatch } from '../io/batch';
import { QuellEngine, EngineOptions } from './pipeline';
import type { EngineEvent } from './types';
import { keyOf } from './order';
import { formatterFor, OutputFormat } from './replay-format';
import { replayEngine } from './replay';
import type { DetectMode } from './detect';
import type { CompiledRuleset } from '../../signatures/ruleset';

interface Init { engine: EngineOptions; format: OutputFormat; detect?: { ruleset: CompiledRuleset; mode: DetectMode } | null }
const init = workerData as Init;
// detection: the compiled ruleset arrives structured-cloned in workerData (docs/detection.md)
const engine: QuellEngine = replayEngine(init.engine, init.detect);
const format = formatterFor(init.format);
let verdict = new Uint32Array(0);

function pack(events: readonly EngineEvent[], firstOrd: number): { lines: string[]; keys: Float64Array } {
  const lines: string[] = [];
  const keys: number[] = [];
  for (const ev of events) {
    const line = format(ev);
    if (line === null) continue;
    const k = keyOf(ev, firstOrd);
    lines.push(line);
    keys.push(k.cls, k.ord, k.seq, k.kEnd, k.kStart, k.kId);
  }
  return { lines, keys: Float64Array.from(keys) };
}

parentPort!.on('message', (m: { type: string; round: number; data?: SharedArrayBuffer; desc?: Uint32Array; count?: number; nowUs?: number; firstOrd: number }) => {
  if (m.type === 'batch') {
    const count = m.count!;
    if (verdict.length < count * 2) verdict = new Uint32Array(count * 2);
    const batch: PacketBatch = { data: new Uint8Array(m.data!), desc: m.desc!, verdict, count };
    if (m.nowUs! > engine.clockUs) engine.clockUs = m.nowUs!;
    engine.processBatch(batch);
    const out = pack(engine.drainEvents(), m.firstOrd);
    parentPort!.postMessage({ round: m.round, lines: out.lines, keys: out.keys }, [out.keys.buffer as ArrayBuffer]);
  } else if (m.type === 'finish') {
    engine.finish();
    const out = pack(engine.drainEvents(), m.firstOrd);
    parentPort!.postMessage({ round: m.round, lines: out.lines, keys: out.keys, stats: engine.stats() }, [out.keys.buffer as ArrayBuffer]);
  }
});
void DESC_STRIDE;
