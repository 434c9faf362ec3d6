/**
 * quell iptables: print (default), install (--apply) or remove (--remove) the recommended rules.
 */
import type { Command } from '../command';
import { parseArgs, flagStr, flagBool, flagInt } from '../args';
import { UsageError } from '../../errors';
import { parseQueues } from '../../inline/run';
import { ALL_HOOKS, Hook, RecipeOptions, printedRecipe, apply, remove, validateRecipe } from '../../inline/iptables';
import { DEFAULT_MARK_SHIFT } from '../../inline/marks';

const usage = `usage: quell iptables [--queues 0:3] [--chain QUELL] [--apply | --remove] [options]

Prints the recommended iptables rules for quell run (iptables-restore format, IPv4 and IPv6).
Installs nothing unless --apply is given; --remove takes them out again. Both are atomic per
family (iptables-restore --noflush) and idempotent.

options:
  --queues A:B          queues quell run binds (default 0:0); several -> --queue-balance A:B
  --chain NAME          chain to create (default QUELL)
  --hooks LIST          comma list of input,forward,output (default all three; loopback is never queued)
  --family 4|6|both     (default both)
  --no-queue-bypass     without a running quell, queued traffic is dropped instead of accepted
  --bypass-after BYTES  flows that carried BYTES (both directions) are no longer queued (connbytes)
  --cpu-fanout          --queue-cpu-fanout instead of the address-pair hash (needs RSS/RPS)
  --mark-shift N        position of quell's three mark bits (default ${DEFAULT_MARK_SHIFT}: 0x07000000); same as quell run
  --apply | --remove

Output: the rules on stdout (print), or one JSON line per family ({"family":4,"action":"apply"}).
Docs: docs/inline.md`;

export const command: Command = {
  name: 'iptables',
  summary: 'print / install / remove the recommended NFQUEUE iptables rules',
  usage,
  async run(argv: string[]): Promise<number> {
    const p = parseArgs(argv, {
      values: ['--queues', '--chain', '--hooks', '--family', '--bypass-after', '--mark-shift'],
      bools: ['--apply', '--remove', '--no-queue-bypass', '--cpu-fanout'],
    });
    if (p.positional.length) throw new UsageError(`unexpected argument "${p.positional[0]}"`);
    if (flagBool(p, '--apply') && flagBool(p, '--remove')) throw new UsageError('--apply and --remove exclude each other');
    const hooks = (flagStr(p, '--hooks') ?? 'input,forward,output').split(',').map((h) => h.trim().toUpperCase());
    for (const h of hooks) if (!ALL_HOOKS.includes(h as Hook)) throw new UsageError(`--hooks: unknown hook "${h}" (input, forward, output)`);
    const fam = flagStr(p, '--family') ?? 'both';
    if (!['4', '6', 'both'].includes(fam)) throw new UsageError('--family: 4, 6 or both');
    const families: (4 | 6)[] = fam === 'both' ? [4, 6] : [Number(fam) as 4 | 6];
    const ba = flagStr(p, '--bypass-after');
    const o: RecipeOptions = {
      queues: parseQueues(flagStr(p, '--queues') ?? '0'),
      chain: flagStr(p, '--chain') ?? 'QUELL',
      hooks: hooks as Hook[],
      queueBypass: !flagBool(p, '--no-queue-bypass'),
      bypassAfter: ba !== undefined ? flagInt(p, '--bypass-after', 0, 1) : null,
      cpuFanout: flagBool(p, '--cpu-fanout'),
      markShift: flagInt(p, '--mark-shift', DEFAULT_MARK_SHIFT, 0, 29),
    };
    validateRecipe(o);
    if (flagBool(p, '--apply')) {
      for (const r of apply(o, families)) process.stdout.write(JSON.stringify(r) + '\n');
      return 0;
    }
    if (flagBool(p, '--remove')) {
      for (const r of remove(o, families)) process.stdout.write(JSON.stringify(r) + '\n');
      return 0;
    }
    process.stdout.write(printedRecipe(o, families));
    return 0;
  },
};
