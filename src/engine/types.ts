/**
 * The engine seam shared by offline replay and inline run.
 *
 * processBatch() runs decode -> flow -> stream -> app -> detect -> verdict for every packet of
 * the batch, synchronously, and writes batch.verdict[2*i] (kind, see V_* in io/batch.ts) and
 * batch.verdict[2*i+1] (mark). It never throws on traffic and never waits on I/O: events
 * (alerts, flow records, stats) are appended to an in-memory queue that the caller drains once
 * per batch with drainEvents().
 */
import type { PacketBatch } from '../io/batch';

export interface EngineEvent {
  /** EVE event_type: 'alert' | 'drop' | 'flow' | 'http' | 'dns' | 'stats' | ... */
  event_type: string;
  /** Packet timestamp in ns since epoch, for ordering and the EVE "timestamp" field. */
  tsNs: bigint;
  [k: string]: unknown;
}

export interface Engine {
  processBatch(batch: PacketBatch): void;
  /** Events produced since the last call. The array and its events pass to the caller, who
   *  must not modify the array (read-only: with no events it may be a shared empty one). */
  drainEvents(): readonly EngineEvent[];
  /** End of input: flush flows/transactions still open, as events. */
  finish(): void;
  /** Swap the compiled ruleset atomically; takes effect from the next batch. */
  setRuleset(ruleset: unknown): void;
  stats(): Record<string, unknown>;
}
