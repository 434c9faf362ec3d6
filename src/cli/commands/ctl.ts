/**
 * `quell ctl ...`: command line of the control API (docs/api.md). Prints the API's JSON answer
 * on stdout (one line), exits 0 on success, 1 on an API error or when quell cannot be reached
 * (the error JSON is printed on stdout too, a one-line summary on stderr), 2 on usage errors.
 */
import * as fs from 'fs';
import type { Command } from '../command';
import { parseArgs, flagStr } from '../args';
import { UsageError } from '../../errors';
import { ControlClient, ControlTarget, ControlResponse, ControlConnectError } from '../../control/client';
import { DEFAULT_SOCKET } from '../../control/server';

const USAGE = `usage: quell ctl [--socket PATH | --tcp HOST:PORT --token-file FILE] COMMAND

Talk to a running quell through its control API and print the JSON answer on stdout.

commands:
  sets                              list the sets (name, role, file, networks, dynamic entries, hits)
  set list NAME [--limit N]         entries of a set (dynamic ones first, with their expiry)
  set add NAME ADDR [--timeout D]   add an address or network (D: 30s, 10m, 2h, 1d; default permanent)
  set del NAME ADDR                 remove an entry
  set reload                        reload the set files (a bad file keeps its old networks)
  rules                             rules with hit counts
  reload                            reload the rule files (diagnostics on failure; old rules stay)
  stats                             counters of the running instance

options:
  --socket PATH      unix socket of the API (default $QUELL_SOCKET or ${DEFAULT_SOCKET})
  --tcp HOST:PORT    use the TCP listener instead (needs --token-file)
  --token-file FILE  file holding the bearer token for --tcp

exit status: 0 ok, 1 the API answered with an error or could not be reached, 2 usage error`;

function target(socket: string | undefined, tcp: string | undefined, tokenFile: string | undefined): ControlTarget {
  if (tcp) {
    const m = /^(.+):([0-9]{1,5})$/.exec(tcp);
    if (!m || Number(m[2]) > 65535) throw new UsageError(`--tcp needs HOST:PORT, got ${JSON.stringify(tcp)}`);
    if (!tokenFile) throw new UsageError('--tcp needs --token-file');
    let token: string;
    try { token = fs.readFileSync(tokenFile, 'utf8').trim(); } catch (e) { throw new UsageError(`cannot read --token-file ${tokenFile}: ${(e as NodeJS.ErrnoException).code}`); }
    return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]), token };
  }
  if (socket !== undefined && tokenFile) throw new UsageError('--token-file is only for --tcp');
  return { socket: socket ?? process.env.QUELL_SOCKET ?? DEFAULT_SOCKET };
}

export const command: Command = {
  name: 'ctl',
  summary: 'control a running quell: sets, bans, rules, reload, stats (control API)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const p = parseArgs(argv, { values: ['--socket', '--tcp', '--token-file', '--timeout', '--limit'] });
    const c = new ControlClient(target(flagStr(p, '--socket'), flagStr(p, '--tcp'), flagStr(p, '--token-file')));
    const [cmd, ...rest] = p.positional;
    const timeout = flagStr(p, '--timeout');
    const limit = flagStr(p, '--limit');
    const arity = (n: number, what: string) => { if (rest.length !== n) throw new UsageError(`${what}: expected ${n} argument(s), got ${rest.length}`); };
    const noFlag = (name: string, v: string | undefined) => { if (v !== undefined) throw new UsageError(`${name} is not an option of "${cmd}"`); };
    let call: () => Promise<ControlResponse>;
    switch (cmd) {
      case 'sets': arity(0, 'sets'); noFlag('--timeout', timeout); noFlag('--limit', limit); call = () => c.sets(); break;
      case 'rules': arity(0, 'rules'); noFlag('--timeout', timeout); noFlag('--limit', limit); call = () => c.rules(); break;
      case 'reload': arity(0, 'reload'); noFlag('--timeout', timeout); noFlag('--limit', limit); call = () => c.reload(); break;
      case 'stats': arity(0, 'stats'); noFlag('--timeout', timeout); noFlag('--limit', limit); call = () => c.stats(); break;
      case 'set': {
        const [sub, ...args] = rest;
        if (sub === 'add') {
          if (args.length !== 2) throw new UsageError('set add NAME ADDR [--timeout D]');
          noFlag('--limit', limit);
          call = () => c.add(args[0], args[1], timeout ?? null);
        } else if (sub === 'del') {
          if (args.length !== 2) throw new UsageError('set del NAME ADDR');
          noFlag('--timeout', timeout); noFlag('--limit', limit);
          call = () => c.del(args[0], args[1]);
        } else if (sub === 'list') {
          if (args.length !== 1) throw new UsageError('set list NAME [--limit N]');
          noFlag('--timeout', timeout);
          if (limit !== undefined && !/^[0-9]+$/.test(limit)) throw new UsageError('--limit needs a whole number');
          call = () => c.entries(args[0], limit ? Number(limit) : undefined);
        } else if (sub === 'reload') {
          if (args.length !== 0) throw new UsageError('set reload takes no argument');
          noFlag('--timeout', timeout); noFlag('--limit', limit);
          call = () => c.reloadSets();
        } else throw new UsageError(`unknown "set" command ${JSON.stringify(sub ?? '')} (add, del, list, reload)`);
        break;
      }
      case undefined: throw new UsageError('missing command (sets, set, rules, reload, stats)');
      default: throw new UsageError(`unknown ctl command ${JSON.stringify(cmd)}`);
    }
    let r: ControlResponse;
    try { r = await call(); } catch (e) {
      if (e instanceof ControlConnectError) {
        process.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message } }) + '\n');
        process.stderr.write(`quell ctl: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
    process.stdout.write(JSON.stringify(r.body) + '\n');
    if (r.status >= 400) {
      const err = (r.body as { error?: { code?: string; message?: string } })?.error;
      process.stderr.write(`quell ctl: HTTP ${r.status} ${err?.code ?? ''}: ${err?.message ?? ''}\n`);
      return 1;
    }
    return 0;
  },
};
