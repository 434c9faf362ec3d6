/**
 * Deterministic event order, the same whatever the worker count.
 *
 * Within one batch round, events produced while processing a packet (cls 0) come first, by the
 * packet's ordinal in the input and then by production order; then events produced by the
 * end-of-round timeout sweep or the end-of-input flush (cls 1), by (flow end time, flow start
 * time, flow_id, production order). A packet and all events of one flow are handled by one
 * worker, so the production order used as the last key never compares two workers.
 */
export interface OrderKey {
  cls: number;
  /** Packet ordinal relative to the round's first ordinal (wrap-safe). */
  ord: number;
  seq: number;
  kEnd: number; kStart: number; kId: number;
}

export function compareKeys(a: OrderKey, b: OrderKey): number {
  if (a.cls !== b.cls) return a.cls - b.cls;
  if (a.cls === 0) return a.ord !== b.ord ? a.ord - b.ord : a.seq - b.seq;
  if (a.kEnd !== b.kEnd) return a.kEnd - b.kEnd;
  if (a.kStart !== b.kStart) return a.kStart - b.kStart;
  if (a.kId !== b.kId) return a.kId - b.kId;
  return a.seq - b.seq;
}

/** Extract a key from an engine event (ord made relative to `firstOrd`, mod 2^32). */
export function keyOf(ev: Record<string, unknown>, firstOrd: number): OrderKey {
  return {
    cls: (ev.cls as number) ?? 0,
    ord: (((ev.ord as number) ?? 0) - firstOrd) >>> 0,
    seq: (ev.seq as number) ?? 0,
    kEnd: (ev.kEnd as number) ?? 0, kStart: (ev.kStart as number) ?? 0, kId: (ev.kId as number) ?? 0,
  };
}
