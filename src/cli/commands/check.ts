/**
 * `quell check FILE...`: compile rule files and report every diagnostic (rustc style on
 * stderr, or one JSON object per diagnostic on stdout with --json). `--list-keywords` prints
 * the keyword table generated from signatures/keywords/registry.ts. Reference: docs/language.md.
 */
import type { Command } from '../command';
import { parseArgs, flagBool } from '../args';
import { UsageError } from '../../errors';
import { compileFiles } from '../../../signatures/compiler';
import { diagnosticJson } from '../../../signatures/diagnostics';
import { keywordsText } from '../../../signatures/keywords/registry';
import { dumpRuleset } from '../../../signatures/disasm';

const USAGE = `usage: quell check [--json] [--quiet] FILE...
       quell check --list-keywords

Compile signature files (docs/language.md) and print every error and warning:
  FILE:LINE:COL: error[CODE]: message, the source line, a caret under the span, and a help line.

options:
  --json            one JSON object per diagnostic on stdout instead of text on stderr
  --quiet           no summary line
  --list-keywords   print the table of buffers, fields and functions and exit
  --dump            after compiling, print each rule's strings, atoms, gating and bytecode on stdout

exit status: 0 no errors (warnings allowed), 1 errors, 2 usage error`;

export const command: Command = {
  name: 'check',
  summary: 'compile signature files and print diagnostics',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const a = parseArgs(argv, { bools: ['--json', '--quiet', '--list-keywords', '--dump'] });
    if (flagBool(a, '--list-keywords')) { process.stdout.write(keywordsText()); return 0; }
    if (a.positional.length === 0) throw new UsageError('quell check needs at least one rule file');
    const t0 = process.hrtime.bigint();
    const res = compileFiles(a.positional);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const diags = res.diags.sorted();
    if (flagBool(a, '--json')) {
      if (diags.length) process.stdout.write(diags.map(diagnosticJson).join('\n') + '\n');
    } else {
      for (const d of diags) process.stderr.write(res.diags.format(d) + '\n\n');
    }
    if (flagBool(a, '--dump') && res.ruleset) process.stdout.write(dumpRuleset(res.ruleset));
    if (!flagBool(a, '--quiet')) {
      const e = res.diags.errorCount, w = res.diags.warningCount;
      const rules = res.ruleset ? `${res.ruleset.rules.length} rules, ${res.ruleset.strings.length} strings, ` : '';
      process.stderr.write(`${e ? 'failed' : 'ok'}: ${rules}${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'} (${ms.toFixed(0)} ms)\n`);
    }
    return res.diags.errorCount > 0 ? 1 : 0;
  },
};
