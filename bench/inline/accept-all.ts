/** An engine that accepts everything without looking: bench/inline --engine-module, to measure the
 *  NFQUEUE plumbing (addon + worker loop) apart from the engine's own cost. */
import type { Engine, EngineEvent } from '../../src/engine/types';
import type { PacketBatch } from '../../src/io/batch';

export function createEngine(): Engine {
  return {
    processBatch(_b: PacketBatch): void { /* verdicts default to ACCEPT (NfqueueSource.recvSync) */ },
    drainEvents(): EngineEvent[] { return []; },
    finish(): void { /* nothing */ },
    setRuleset(): void { /* nothing */ },
    stats(): Record<string, unknown> { return {}; },
  };
}
