/**
 * `quell scan RULES FILE...`: match rules against files like the `yara` program: one line
 * `RULE FILE` per matching rule (declaration order), `-s` adds `0xOFFSET:$id: data` per string
 * match in yara 4.2's format. Each file is read whole (files up to MAX_SCAN_FILE bytes; 100 MB is
 * fine) and scanned as one byte string; rule diagnostics go to stderr.
 */
import * as fs from 'fs';
import type { Command } from '../command';
import { parseArgs, flagBool } from '../args';
import { UsageError } from '../../errors';
import { compileFiles } from '../../../signatures/compiler';
import { newScanMatcher, scanBytes, formatScan } from '../../../signatures/scan';

/** Largest file scanned (read whole into memory). */
export const MAX_SCAN_FILE = 2 ** 31 - 1;

const USAGE = `usage: quell scan [-s] [--stats] RULES FILE...

Match the rules in RULES against each FILE (a whole file is one byte string, as with yara) and
print one line "RULE FILE" per matching rule. Private rules are not printed; global rules gate
the others; network fields are absent (undefined) in this mode.

options:
  -s, --print-strings   print each string match: 0xOFFSET:$id: data (yara 4.2 format)
  --stats               print compile/scan timings and MB/s on stderr

exit status: 0 ok (matches or not), 1 rule errors or unreadable file, 2 usage error`;

export const command: Command = {
  name: 'scan',
  summary: 'match rules against files like the yara program',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const a = parseArgs(argv, { bools: ['--print-strings', '--stats'], alias: { '-s': '--print-strings' } });
    if (a.positional.length < 2) throw new UsageError('quell scan needs RULES and at least one FILE');
    const [rulesFile, ...files] = a.positional;
    const t0 = process.hrtime.bigint();
    const res = compileFiles([rulesFile]);
    for (const d of res.diags.sorted()) process.stderr.write(res.diags.format(d) + '\n\n');
    if (!res.ruleset) return 1;
    const t1 = process.hrtime.bigint();
    const m = newScanMatcher(res.ruleset);
    const withStrings = flagBool(a, '--print-strings');
    let status = 0, bytes = 0;
    for (const f of files) {
      let data: Buffer;
      try {
        const st = fs.statSync(f);
        if (st.size > MAX_SCAN_FILE) throw new Error(`larger than ${MAX_SCAN_FILE} bytes`);
        data = fs.readFileSync(f);
      } catch (e) {
        process.stderr.write(`error scanning ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
        status = 1;
        continue;
      }
      bytes += data.length;
      const rules = scanBytes(m, data);
      const lines = formatScan(m, rules, f, data, withStrings);
      if (lines.length) process.stdout.write(lines.join('\n') + '\n');
    }
    if (flagBool(a, '--stats')) {
      const t2 = process.hrtime.bigint();
      const cs = Number(t1 - t0) / 1e9, ss = Number(t2 - t1) / 1e9;
      process.stderr.write(`compile ${cs.toFixed(3)} s (${res.ruleset.rules.length} rules, ${res.ruleset.stats.atoms} atoms, ${res.ruleset.stats.acStates} states); scan ${ss.toFixed(3)} s, ${(bytes / 1e6 / ss).toFixed(1)} MB/s; verifications ${m.stats.verifications}\n`);
    }
    return status;
  },
};
