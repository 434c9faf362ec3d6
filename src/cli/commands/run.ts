/**
 * quell run: inline IPS on NFQUEUE (src/inline/run.ts).
 */
import type { Command } from '../command';
import { WARMUP_DEFAULT_PACKETS } from '../../inline/warmup';
import { parseArgs, flagStr, flagBool, flagInt } from '../args';
import { UsageError } from '../../errors';
import { parseQueues, runInline, RunOptions, formatDiagnostic } from '../../inline/run';
import { RulesError } from '../../inline/engine-host';
import { DEFAULT_MARK_SHIFT } from '../../inline/marks';
import { OPS_FLAGS, OPS_USAGE, opsOptionsFromArgs } from '../../ops/flags';
import { DEFAULT_MAX_BATCH, MAX_BUSY_POLL_US, DEFAULT_MAXLEN, DEFAULT_COPY_RANGE, DEFAULT_RCVBUF } from '../../io/nfqueue';
import { httpLimitsFlag, MAX_HTTP_BODY_LIMIT, engineLimitsFlags } from './engine-flags';
import { DEFAULT_MAX_FLOWS } from '../../engine/flows';
import { DEFAULT_STREAM_DEPTH } from '../../engine/tcp-stream';
import { HTTP_MAX_RESPONSE_BODY } from '../../../decoders/app/http';

const usage = `usage: quell run --queues 0:3 [--rules FILE] [--workers N] [--fail-open | --fail-closed] [--eve FILE] [options]

Inline IPS: binds NFQUEUE queues (one worker thread per queue by default), runs every packet through
the engine and the rules, and gives it a verdict. Install the matching iptables rules with
\`quell iptables --queues 0:3 --apply\`. Needs root or CAP_NET_ADMIN.

options:
  --queues SPEC         queues to bind: N, A:B or a comma list (default 0)
  --rules FILE          rules to run (without: accept everything, still decode/log)
  --workers N           worker threads (default: one per queue; fewer -> a worker polls several queues;
                        a multiple k of the queues -> userspace fan-out: k engines per queue by 5-tuple)
  --fail-open           queue or socket full: the kernel accepts packets unseen (NFQA_CFG_F_FAIL_OPEN)
  --fail-closed         queue or socket full: the kernel drops them (default)
  --eve FILE            append EVE JSON events here (default: stdout)
  --bypass-after BYTES  flows that carried BYTES leave the queue (accept-flow via the connmark rules);
                        the kernel-only equivalent is quell iptables --bypass-after (connbytes)
  --stats-interval S    seconds between stats events (default 10)
  --max-batch N         packets per receive batch (default ${DEFAULT_MAX_BATCH})
  --busy-poll US        after each packet, keep polling the queue for US microseconds instead of
                        sleeping (default 0 = off, max ${MAX_BUSY_POLL_US}): lower latency (no thread
                        wake-up), one CPU busy per worker while traffic flows; docs/inline.md
  --queue-maxlen N      kernel queue length per queue (default ${DEFAULT_MAXLEN})
  --copy-range N        bytes of each packet copied to quell (default ${DEFAULT_COPY_RANGE} = whole packet)
  --rcvbuf BYTES        netlink receive buffer per queue (default ${DEFAULT_RCVBUF}; size it >= maxlen x ~1 KiB)
  --no-gso              do not ask for GSO super-packets (the kernel then segments them: slower)
  --conntrack           ask for conntrack info (NFQA_CFG_F_CONNTRACK; needs nf_conntrack_netlink)
  --mark-shift N        position of quell's mark bits (default ${DEFAULT_MARK_SHIFT}); must match quell iptables
  --max-flows N         flow memcap per worker (default ${DEFAULT_MAX_FLOWS}); the oldest idle flow is evicted
                        beyond it (counted in stats flow.evictions_memcap)
  --stream-depth B      TCP bytes reassembled per flow direction (default ${DEFAULT_STREAM_DEPTH})
  --midstream P         TCP flows without a SYN: accept (default) or ignore (counted, not reassembled)
  --http-body-limit B   HTTP request/response body bytes kept per message for rules (default
                        ${HTTP_MAX_RESPONSE_BODY}, max ${MAX_HTTP_BODY_LIMIT}); the rest is counted, not inspected
  --warmup N            before binding its queue, each worker runs N packets of a crafted traffic mix
                        through a throwaway engine, so the JIT has compiled the pipeline (default
                        ${WARMUP_DEFAULT_PACKETS}, ~0.3-0.5 s; 0: none: the first tens of thousands of
                        packets then meet a 2-5x slower engine)
  --engine-module FILE  use another engine (a module exporting createEngine(options)); for tests/benches

signals: SIGHUP reloads --rules (refused with diagnostics when they have errors: the old rules keep
running) and reopens --eve FILE (log rotation: mv it away first); SIGINT/SIGTERM flush verdicts,
unbind the queues and exit 0.
Docs: docs/inline.md

${OPS_USAGE}`;

export const command: Command = {
  name: 'run',
  summary: 'inline IPS on NFQUEUE (worker per queue, reload on SIGHUP)',
  usage,
  async run(argv: string[]): Promise<number> {
    const p = parseArgs(argv, {
      values: ['--queues', '--rules', '--workers', '--eve', '--bypass-after', '--stats-interval', '--max-batch', '--busy-poll',
        '--queue-maxlen', '--copy-range', '--rcvbuf', '--mark-shift', '--engine-module', '--http-body-limit', '--warmup', '--max-flows', '--stream-depth', '--midstream', ...OPS_FLAGS.values],
      bools: ['--fail-open', '--fail-closed', '--no-gso', '--conntrack', ...OPS_FLAGS.bools],
      multi: OPS_FLAGS.multi,
    });
    if (p.positional.length) throw new UsageError(`unexpected argument "${p.positional[0]}"`);
    if (flagBool(p, '--fail-open') && flagBool(p, '--fail-closed')) throw new UsageError('--fail-open and --fail-closed exclude each other');
    const queues = parseQueues(flagStr(p, '--queues') ?? '0');
    const ba = flagStr(p, '--bypass-after');
    const opts: RunOptions = {
      queues,
      workers: flagInt(p, '--workers', queues.length, 1, 64),
      rulesFile: flagStr(p, '--rules') ?? null,
      failOpen: flagBool(p, '--fail-open'),
      eveFile: flagStr(p, '--eve') ?? null,
      bypassAfter: ba !== undefined ? flagInt(p, '--bypass-after', 0, 1) : null,
      maxBatch: flagInt(p, '--max-batch', DEFAULT_MAX_BATCH, 1, 1024),
      busyPollUs: flagInt(p, '--busy-poll', 0, 0, MAX_BUSY_POLL_US),
      maxlen: flagInt(p, '--queue-maxlen', DEFAULT_MAXLEN, 1, 1 << 20),
      copyRange: flagInt(p, '--copy-range', DEFAULT_COPY_RANGE, 0, 0xffff),
      rcvbuf: flagInt(p, '--rcvbuf', DEFAULT_RCVBUF, 65536, 2 ** 31 - 1),
      gso: !flagBool(p, '--no-gso'),
      conntrack: flagBool(p, '--conntrack'),
      markShift: flagInt(p, '--mark-shift', DEFAULT_MARK_SHIFT, 0, 29),
      statsIntervalMs: flagInt(p, '--stats-interval', 10, 1, 86400) * 1000,
      engineModule: flagStr(p, '--engine-module') ?? null,
      warmupPackets: flagInt(p, '--warmup', WARMUP_DEFAULT_PACKETS, 0, 10_000_000),
      engineLimits: engineLimitsFlags(p),
      httpLimits: httpLimitsFlag(p) ?? null,
      // the operations layer starts when any of its flags is given (docs/operations.md)
      ops: [...OPS_FLAGS.values, ...OPS_FLAGS.bools, ...OPS_FLAGS.multi].some((f) => p.flags.has(f)) ? opsOptionsFromArgs(p) : null,
    };
    try {
      return await runInline(opts);
    } catch (e) {
      if (e instanceof RulesError && e.diagnostics.length) {
        for (const d of e.diagnostics) process.stderr.write(formatDiagnostic(d, opts.rulesFile ?? '<rules>') + '\n');
      }
      throw e;
    }
  },
};
