/**
 * quell replay FILE --eve OUT: run the engine over a capture and write EVE JSON lines
 * (flow, http, dns, stats). See docs/eve.md for the schema.
 */
import * as fs from 'fs';
import type { Command } from '../command';
import { parseArgs, flagBool, flagStr } from '../args';
import { UsageError } from '../../errors';
import { ENGINE_FLAGS, ENGINE_USAGE, parseEngineFlags, progressPrinter } from './engine-flags';
import { runReplay } from '../../engine/replay';
import { EveWriter, formatEve } from '../../outputs/eve';
import { TimeOfDay } from '../../ops/time';
// the signature runtime (engine/detect) is loaded only when --rules is given: ~75 ms of start-up
type DetectModule = typeof import('../../engine/detect');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const detectModule = (): DetectModule => require('../../engine/detect') as DetectModule;
import type { CompiledRuleset } from '../../../signatures/ruleset';

export const command: Command = {
  name: 'replay',
  summary: 'replay a capture through the engine, write EVE JSON (flow, http, dns, stats)',
  usage: `usage: quell replay FILE --eve OUT [options]

Runs the same pipeline as inline mode (decode, flows, TCP reassembly, HTTP/DNS) over a pcap or
pcapng file ('-' = stdin) and writes Suricata-compatible EVE JSON lines to OUT ('-' = stdout).

options:
  --eve OUT           EVE output file, '-' for stdout (required)
  --rules FILE        signatures (docs/language.md): EVE alert events, verdicts reported, per-rule
                      hits in stats; errors in FILE: diagnostics on stderr, exit 1, nothing replayed
  --simulate-ips      apply verdicts as inline mode would: drop events, a dropped flow stays dropped
  --time-zone ZONE    IANA zone of time.hour / time.weekday / time.minute, evaluated on each
                      packet's capture time (default UTC; --timezone is the same flag)
${ENGINE_USAGE}
`,
  async run(argv: string[]): Promise<number> {
    const p = parseArgs(argv, { values: [...ENGINE_FLAGS.values!, '--eve', '--rules', '--time-zone', '--timezone'], bools: [...(ENGINE_FLAGS.bools ?? []), '--simulate-ips'] });
    if (p.positional.length !== 1) throw new UsageError('expected exactly one capture FILE');
    const file = p.positional[0];
    const eve = flagStr(p, '--eve');
    if (eve === undefined) throw new UsageError('--eve OUT is required');
    const quiet = flagBool(p, '--quiet');
    const { workers, engine, batch } = parseEngineFlags(p);
    const rulesFile = flagStr(p, '--rules');
    const simulate = flagBool(p, '--simulate-ips');
    if (simulate && rulesFile === undefined) throw new UsageError('--simulate-ips needs --rules FILE');
    // zone of time.hour / time.weekday / time.minute (capture time); UTC unless given, so a replay
    // gives the same output on every machine (docs/operations.md)
    const timeZone = flagStr(p, '--time-zone') ?? flagStr(p, '--timezone') ?? 'UTC';
    if (flagStr(p, '--time-zone') !== undefined && flagStr(p, '--timezone') !== undefined) throw new UsageError('give --time-zone or --timezone, not both');
    try { new TimeOfDay(timeZone); } catch (e) { throw new UsageError((e as Error).message); }
    let ruleset: CompiledRuleset | null = null;
    if (rulesFile !== undefined) {
      let text: string;
      try { text = fs.readFileSync(rulesFile, 'utf8'); } catch (e) {
        process.stderr.write(`quell replay: cannot read rules ${rulesFile}: ${(e as Error).message}\n`);
        return 1;
      }
      const c = detectModule().compileRules(text, rulesFile);
      for (const d of c.diagnostics) if (d.severity === 'error' || !quiet) process.stderr.write((d.text ?? d.message) + '\n\n');
      if (c.ruleset === null) {
        process.stderr.write(`quell replay: ${rulesFile}: ${c.errors} error${c.errors === 1 ? '' : 's'}; nothing replayed\n`);
        return 1;
      }
      ruleset = c.ruleset;
    }
    const out = new EveWriter(eve);
    const t0 = process.hrtime.bigint();
    let size = 0;
    try { if (file !== '-') size = fs.statSync(file).size; } catch { /* openCapture reports it */ }
    const res = await runReplay(file, {
      workers, format: 'eve', engine, batchSize: batch,
      write: (lines) => out.write(lines),
      progress: progressPrinter(quiet, size),
      detect: ruleset ? { ruleset, mode: simulate ? 'simulate' : 'ids', timeZone } : null,
    });
    const stats: Record<string, unknown> = { uptime: Math.round((res.lastUs - res.firstUs) / 1e6), ...res.stats };
    if (ruleset) {
      // per-rule hits (summed over workers by name) as a list with sids
      const det = (stats.detect ?? {}) as Record<string, unknown>;
      const hits = det.rule_hits as Record<string, number> | undefined;
      delete det.rule_hits;
      stats.rules = detectModule().ruleHitsList(ruleset, hits);
    }
    const flowStats = stats.flow as Record<string, unknown> | undefined;
    if (flowStats) flowStats.memcap_flows = engine.maxFlows;
    const line = formatEve({ event_type: 'stats', tsNs: BigInt(Math.floor(res.lastUs)) * 1000n, stats });
    if (line !== null) await out.write([line]);
    await out.close();
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    if (!quiet) {
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      const f = res.stats.flow as Record<string, number> | undefined;
      process.stderr.write(`quell replay: ${res.packets} packets, ${f?.created ?? 0} flows (${f?.evictions_memcap ?? 0} evicted by memcap), ` +
        `${res.lines + 1} EVE events${ruleset ? `, ${(stats.detect as Record<string, number> | undefined)?.alerts ?? 0} alerts` : ''}, ${secs.toFixed(2)} s (${Math.round(res.packets / Math.max(secs, 1e-9))} packets/s), ${workers} worker${workers > 1 ? 's' : ''}\n`);
    }
    return 0;
  },
};
