/**
 * HTTP glue between the stream and decoders/app's HttpParser (bound once the parser lands).
 * Holds the per-flow parser and turns completed transactions into events and summaries.
 */
import type { AppLayer, FlowApp } from './app';

export interface HttpSummary { method: string | null; uri: string | null; host: string | null; user_agent: string | null; status: number | null }

export class HttpGlue {
  feed(_app: AppLayer, _s: number, _st: FlowApp, _dir: number, _buf: Uint8Array, _off: number, _len: number, _tsUs: number): void {}
  gap(_app: AppLayer, _s: number, _st: FlowApp, _dir: number, _len: number): void {}
  end(_app: AppLayer, _s: number, _st: FlowApp): void {}
}
