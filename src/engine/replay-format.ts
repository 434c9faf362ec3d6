/** Output formats of the offline driver: EVE lines or `quell flows` lines. */
import type { EngineEvent } from './types';
import { formatEve } from '../outputs/eve';
import { formatFlowLine } from './flow-json';

export type OutputFormat = 'eve' | 'flows';
export function formatterFor(f: OutputFormat): (ev: EngineEvent) => string | null {
  return f === 'eve' ? formatEve : formatFlowLine;
}
