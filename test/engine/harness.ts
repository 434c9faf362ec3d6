/**
 * Test harness: run QuellEngine over crafted frames without a file (one PacketBatch per call),
 * capturing reassembled stream bytes through the stream tap and the drained events.
 */
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_TS_SEC, D_TS_NSEC, D_LINK, D_ID, PacketBatch } from '../../src/io/batch';
import { QuellEngine, EngineOptions } from '../../src/engine/pipeline';
import type { EngineEvent } from '../../src/engine/types';

export function batchOf(frames: { data: Uint8Array; tsSec: number; tsNsec: number }[], firstId = 1, link = 1): PacketBatch {
  let n = 0;
  for (const f of frames) n += f.data.length;
  const data = new Uint8Array(n);
  const desc = new Uint32Array(frames.length * DESC_STRIDE);
  let o = 0;
  frames.forEach((f, i) => {
    data.set(f.data, o);
    const d = i * DESC_STRIDE;
    desc[d + D_OFF] = o; desc[d + D_CAPLEN] = f.data.length; desc[d + D_WIRELEN] = f.data.length;
    desc[d + D_TS_SEC] = f.tsSec; desc[d + D_TS_NSEC] = f.tsNsec; desc[d + D_LINK] = link; desc[d + D_ID] = firstId + i;
    o += f.data.length;
  });
  return { data, desc, verdict: new Uint32Array(frames.length * 2), count: frames.length };
}

export class Harness {
  readonly engine: QuellEngine;
  /** Reassembled bytes per flow_id and direction, as delivered. */
  readonly streams = new Map<number, [number[], number[]]>();
  readonly gaps: { flowId: number; dir: number; len: number }[] = [];
  readonly events: EngineEvent[] = [];
  private nextId = 1;

  constructor(opts: EngineOptions = {}) {
    this.engine = new QuellEngine(opts);
    const e = this.engine;
    e.streamTap = (slot, dir, buf, off, len) => {
      const id = e.flows.flowId[slot];
      let s = this.streams.get(id);
      if (!s) { s = [[], []]; this.streams.set(id, s); }
      for (let i = 0; i < len; i++) s[dir].push(buf[off + i]);
    };
    const sink = e.streams.sink;
    const onGap = sink.onGap.bind(sink);
    sink.onGap = (slot, dir, len) => { this.gaps.push({ flowId: e.flows.flowId[slot], dir, len }); onGap(slot, dir, len); };
  }

  run(frames: { data: Uint8Array; tsSec: number; tsNsec: number }[]): this {
    const b = batchOf(frames, this.nextId);
    this.nextId += frames.length;
    this.engine.processBatch(b);
    this.events.push(...this.engine.drainEvents());
    return this;
  }

  finish(): this {
    this.engine.finish();
    this.events.push(...this.engine.drainEvents());
    return this;
  }

  flowEvents(): Record<string, any>[] { return this.events.filter((e) => e.event_type === 'flow') as Record<string, any>[]; }

  /** The only stream's text per direction (latin1). */
  text(dir: number): string {
    assertOne(this.streams.size);
    const s = [...this.streams.values()][0];
    return Buffer.from(s[dir]).toString('latin1');
  }
}

function assertOne(n: number): void { if (n !== 1) throw new Error(`expected one stream, have ${n}`); }
