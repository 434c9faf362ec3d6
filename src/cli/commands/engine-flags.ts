/**
 * Flags shared by `quell replay` and `quell flows` (engine options). Kept with the commands that
 * own them; `quell run` can reuse parseEngineFlags for the same names.
 */
import * as os from 'os';
import { FlagSpec, ParsedArgs, flagBool, flagInt, flagStr } from '../args';
import { UsageError } from '../../errors';
import type { EngineOptions } from '../../engine/pipeline';
import { DEFAULT_MAX_FLOWS } from '../../engine/flows';
import { DEFAULT_STREAM_DEPTH } from '../../engine/tcp-stream';
import { HTTP_MAX_REQUEST_BODY, HTTP_MAX_RESPONSE_BODY } from '../../../decoders/app/http';
import type { HttpLimits } from '../../../decoders/app/http';

/**
 * Largest --http-body-limit accepted (bytes kept per HTTP message and direction). A body buffer
 * grows geometrically up to the limit for every open transaction, so the cap bounds what one
 * flow can pin (x HTTP_MAX_OPEN_TX waiting requests) when an operator asks for a big limit.
 */
export const MAX_HTTP_BODY_LIMIT = 256 * 1024 * 1024;

export const ENGINE_FLAGS: FlagSpec = {
  values: ['--workers', '--max-flows', '--stream-depth', '--midstream', '--batch', '--http-body-limit'],
  bools: ['--checksums', '--quiet'],
};

export const ENGINE_USAGE = `  --workers N         worker threads (default: ${os.availableParallelism()} = available cores); flows are
                      sharded by a symmetric flow hash, output is identical whatever N
  --max-flows N       flow memcap (default ${DEFAULT_MAX_FLOWS}); the oldest idle flow is evicted beyond it
  --stream-depth B    TCP bytes reassembled per direction (default ${DEFAULT_STREAM_DEPTH})
  --midstream P       TCP flows without a SYN: accept (default) or ignore (counted, not reassembled)
  --checksums         verify IP/TCP/UDP checksums (decode events on mismatch)
  --http-body-limit B HTTP request and response body bytes kept per message for rules (http.request_body,
                      http.response_body; default ${HTTP_MAX_REQUEST_BODY} / ${HTTP_MAX_RESPONSE_BODY}, max ${MAX_HTTP_BODY_LIMIT});
                      the rest is counted, not inspected. quell flows keeps no bodies whatever the limit
  --quiet             no progress bar, no summary on stderr`;

/**
 * --max-flows, --stream-depth, --midstream as engine options, only those given (`quell run`: the
 * same limits replay has, per worker).
 */
export function engineLimitsFlags(p: ParsedArgs): EngineOptions {
  const o: EngineOptions = {};
  if (p.flags.has('--max-flows')) o.maxFlows = flagInt(p, '--max-flows', DEFAULT_MAX_FLOWS, 1, 1 << 26);
  if (p.flags.has('--stream-depth')) o.streamDepth = flagInt(p, '--stream-depth', DEFAULT_STREAM_DEPTH, 0, 2 ** 40);
  const m = flagStr(p, '--midstream');
  if (m !== undefined) {
    if (m !== 'accept' && m !== 'ignore') throw new UsageError(`--midstream must be accept or ignore, got "${m}"`);
    o.midstream = m;
  }
  return o;
}

export function parseEngineFlags(p: ParsedArgs): { workers: number; engine: EngineOptions; batch: number | undefined } {
  const workers = flagInt(p, '--workers', os.availableParallelism(), 1, 256);
  const engine: EngineOptions = {
    maxFlows: flagInt(p, '--max-flows', DEFAULT_MAX_FLOWS, 1, 1 << 26),
    streamDepth: flagInt(p, '--stream-depth', DEFAULT_STREAM_DEPTH, 0, 2 ** 40),
    checksums: flagBool(p, '--checksums'),
  };
  const m = flagStr(p, '--midstream');
  if (m !== undefined) {
    if (m !== 'accept' && m !== 'ignore') throw new UsageError(`--midstream must be accept or ignore, got "${m}"`);
    engine.midstream = m;
  }
  const hl = httpLimitsFlag(p);
  if (hl !== undefined) engine.httpLimits = hl;
  const batch = p.flags.has('--batch') ? flagInt(p, '--batch', 1024, 1, 65536) : undefined;
  return { workers, engine, batch };
}

/**
 * --http-body-limit BYTES -> HttpLimits with both body limits (undefined when the flag is absent:
 * the parser's defaults apply). Shared by replay/flows (ENGINE_FLAGS) and `quell run`.
 */
export function httpLimitsFlag(p: ParsedArgs): Partial<HttpLimits> | undefined {
  if (!p.flags.has('--http-body-limit')) return undefined;
  const n = flagInt(p, '--http-body-limit', HTTP_MAX_RESPONSE_BODY, 0, MAX_HTTP_BODY_LIMIT);
  return { maxRequestBody: n, maxResponseBody: n };
}

/** Progress on stderr (TTY only): one rewritten line. */
export function progressPrinter(quiet: boolean, totalBytes: number): ((bytes: number, pkts: number) => void) | undefined {
  if (quiet || !process.stderr.isTTY || totalBytes <= 0) return undefined;
  let last = 0;
  return (bytes, pkts) => {
    const now = Date.now();
    if (now - last < 200) return;
    last = now;
    const frac = Math.min(1, bytes / totalBytes);
    const w = 30, k = Math.round(frac * w);
    process.stderr.write(`\r[${'#'.repeat(k)}${' '.repeat(w - k)}] ${(frac * 100).toFixed(0)}% ${pkts} packets`);
  };
}
