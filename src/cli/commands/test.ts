/**
 * quell test DIR...: run replay cases (a capture, rules, expected events), in the spirit of
 * suricata-verify. A case is a directory holding case.json (format: src/testing/verify.ts and
 * docs/testing.md). A DIR that has no case.json is searched one level deep for case directories.
 *
 * Each case runs the real `quell replay` (same binary, same pipeline as inline) in a child
 * process, so a case tests exactly what users run. Output: one JSON line per case on stdout
 * ({"case","ok","checks":[{ok,message}],"error"?}); PASS/FAIL lines and a summary on stderr.
 * Exit 0 when every case passes, 1 when any fails or a case is malformed, 2 on usage errors.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { spawn } from 'child_process';
import type { Command } from '../command';
import { parseArgs, flagBool, flagStr } from '../args';
import { UsageError, QuellError } from '../../errors';
import { CaseCheck, runCheck, CheckResult } from '../../testing/verify';

/** Wall-clock bound for one case's replay (a case is a small capture). */
export const CASE_TIMEOUT_MS = 120_000;

export class CaseError extends QuellError {
  constructor(dir: string, problem: string) { super('QUELL_E_TEST_CASE', `${dir}: ${problem}`); }
}

interface CaseSpec {
  description?: string;
  pcap: string;
  rules?: string;
  args?: string[];
  checks: CaseCheck[];
}

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** ${ROOT} = the quell checkout, ${SHARED} = QUELL_SHARED or ../shared beside the checkout. */
function expand(p: string, dir: string): string {
  const shared = process.env.QUELL_SHARED ?? path.resolve(PROJECT_ROOT, '..', 'shared');
  const s = p.replace(/\$\{ROOT\}/g, PROJECT_ROOT).replace(/\$\{SHARED\}/g, shared);
  return path.resolve(dir, s);
}

function loadCase(dir: string): CaseSpec {
  const file = path.join(dir, 'case.json');
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new CaseError(dir, `cannot read case.json: ${(e as Error).message}`); }
  let spec: unknown;
  try { spec = JSON.parse(text); } catch (e) { throw new CaseError(file, `invalid JSON: ${(e as Error).message}`); }
  const s = spec as Partial<CaseSpec>;
  if (typeof s !== 'object' || s === null) throw new CaseError(file, 'expected a JSON object');
  if (typeof s.pcap !== 'string') throw new CaseError(file, '"pcap" (string) is required');
  if (s.rules !== undefined && typeof s.rules !== 'string') throw new CaseError(file, '"rules" must be a string');
  if (s.args !== undefined && (!Array.isArray(s.args) || s.args.some((a) => typeof a !== 'string'))) throw new CaseError(file, '"args" must be an array of strings');
  if (!Array.isArray(s.checks) || s.checks.length === 0) throw new CaseError(file, '"checks" must be a non-empty array');
  s.checks.forEach((c, i) => {
    if (!c || typeof c !== 'object' || !c.filter || typeof c.filter.match !== 'object') throw new CaseError(file, `checks[${i}]: expected {"filter": {"match": {...}, "count"|"min"|"max": N}}`);
  });
  return s as CaseSpec;
}

function findCases(dirs: string[]): string[] {
  const out: string[] = [];
  for (const d of dirs) {
    if (!fs.existsSync(d) || !fs.statSync(d).isDirectory()) throw new UsageError(`${d}: not a directory`);
    if (fs.existsSync(path.join(d, 'case.json'))) { out.push(d); continue; }
    const subs = fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(d, e.name)).sort();
    const cases = subs.filter((s) => fs.existsSync(path.join(s, 'case.json')));
    if (cases.length === 0) throw new UsageError(`${d}: no case.json here or in its subdirectories`);
    out.push(...cases);
  }
  return out;
}

interface ChildResult { status: number; stdout: string; stderr: string; timedOut: boolean }

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve) => {
    const bin = path.join(PROJECT_ROOT, 'bin', 'quell.js');
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [], err: Buffer[] = [];
    let timedOut = false;
    const t = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, CASE_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ status: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
  });
}

export interface CaseOutcome { case: string; ok: boolean; checks: CheckResult[]; error?: string; events?: number }

export async function runCase(dir: string, keepEve?: string): Promise<CaseOutcome> {
  let spec: CaseSpec;
  try { spec = loadCase(dir); } catch (e) { return { case: dir, ok: false, checks: [], error: (e as Error).message }; }
  const pcap = expand(spec.pcap, dir);
  if (!fs.existsSync(pcap)) return { case: dir, ok: false, checks: [], error: `capture not found: ${pcap}` };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-test-'));
  const eve = keepEve ?? path.join(tmp, 'eve.json');
  try {
    const args = ['replay', pcap, '--eve', eve, '--quiet', '--workers', '1', ...(spec.args ?? [])];
    if (spec.rules !== undefined) args.push('--rules', expand(spec.rules, dir));
    const r = await runChild(args);
    if (r.timedOut) return { case: dir, ok: false, checks: [], error: `replay did not finish within ${CASE_TIMEOUT_MS / 1000} s` };
    if (r.status !== 0) return { case: dir, ok: false, checks: [], error: `replay exited ${r.status}: ${r.stderr.trim().split('\n').slice(0, 20).join('\n')}` };
    const events: unknown[] = [];
    const text = fs.readFileSync(eve, 'utf8');
    for (const line of text.split('\n')) if (line.trim() !== '') events.push(JSON.parse(line));
    const checks = spec.checks.map((c) => runCheck(events, c));
    return { case: dir, ok: checks.every((c) => c.ok), checks, events: events.length };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export const command: Command = {
  name: 'test',
  summary: 'run replay cases (capture + rules + expected events) and report pass/fail per case',
  usage: `usage: quell test [--quiet] [--keep-eve FILE] DIR...

Runs every replay case found in DIR (a directory with case.json, or a directory of such
directories). Each case replays its capture with its rules and checks the EVE events.
See docs/testing.md for the case.json format.

stdout: one JSON line per case {"case","ok","checks":[{"ok","message"}],"error"?}
stderr: PASS/FAIL per case and a summary (unless --quiet)
exit:   0 all passed, 1 a case failed or is malformed, 2 usage error
`,
  async run(argv: string[]): Promise<number> {
    const p = parseArgs(argv, { bools: ['--quiet'], values: ['--keep-eve'] });
    if (p.positional.length === 0) throw new UsageError('expected at least one case DIR');
    const quiet = flagBool(p, '--quiet');
    const keep = flagStr(p, '--keep-eve');
    const cases = findCases(p.positional);
    if (keep !== undefined && cases.length !== 1) throw new UsageError('--keep-eve needs exactly one case');
    let pass = 0, fail = 0;
    for (const dir of cases) {
      const o = await runCase(dir, keep);
      process.stdout.write(JSON.stringify(o) + '\n');
      if (o.ok) pass++; else fail++;
      if (!quiet) {
        if (o.ok) process.stderr.write(`PASS ${dir}\n`);
        else {
          process.stderr.write(`FAIL ${dir}\n`);
          if (o.error) process.stderr.write(`  error: ${o.error}\n`);
          for (const c of o.checks) if (!c.ok) process.stderr.write(`  check: ${c.message}\n`);
        }
      }
    }
    if (!quiet) process.stderr.write(`${pass} passed, ${fail} failed\n`);
    return fail === 0 ? 0 : 1;
  },
};
