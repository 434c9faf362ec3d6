/**
 * quell flows FILE: one JSON line per flow when it ends (or at end of input). Schema:
 * docs/flows.md. Order: deterministic, by the time the engine ends the flow (see docs/engine.md).
 */
import * as fs from 'fs';
import type { Command } from '../command';
import { parseArgs, flagBool } from '../args';
import { UsageError } from '../../errors';
import { ENGINE_FLAGS, ENGINE_USAGE, parseEngineFlags, progressPrinter } from './engine-flags';
import { runReplay } from '../../engine/replay';
import { EveWriter } from '../../outputs/eve';

export const command: Command = {
  name: 'flows',
  summary: 'list the flows of a capture (one JSON line per flow, with app, HTTP and DNS summaries)',
  usage: `usage: quell flows FILE [options]

Prints one JSON line per flow on stdout when the flow ends (timeout, memcap eviction, or end of
input): client/server addresses and ports, protocol, VLANs, app ("http", "dns" or null),
packets and bytes per direction, start/end, state, and HTTP/DNS transaction summaries.

options:
${ENGINE_USAGE}
`,
  async run(argv: string[]): Promise<number> {
    const p = parseArgs(argv, ENGINE_FLAGS);
    if (p.positional.length !== 1) throw new UsageError('expected exactly one capture FILE');
    const file = p.positional[0];
    const quiet = flagBool(p, '--quiet');
    const { workers, engine, batch } = parseEngineFlags(p);
    const out = new EveWriter('-');
    let size = 0;
    try { if (file !== '-') size = fs.statSync(file).size; } catch { /* reported by openCapture */ }
    const t0 = process.hrtime.bigint();
    const res = await runReplay(file, {
      workers, format: 'flows', engine, batchSize: batch,
      write: (lines) => out.write(lines),
      progress: progressPrinter(quiet, size),
    });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    if (!quiet) {
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      const f = res.stats.flow as Record<string, number> | undefined;
      process.stderr.write(`quell flows: ${res.packets} packets, ${res.lines} flows (${f?.evictions_memcap ?? 0} evicted by memcap), ` +
        `${secs.toFixed(2)} s (${Math.round(res.packets / Math.max(secs, 1e-9))} packets/s), ${workers} worker${workers > 1 ? 's' : ''}\n`);
    }
    return 0;
  },
};
