/**
 * Command-line flags of the operations layer for `quell run` (and any command that hosts
 * OpsMain). The runner adds OPS_FLAGS to its parseArgs spec, OPS_USAGE to its usage text, and
 * passes opsOptionsFromArgs(parsed) to OpsMain.start().
 */
import * as fs from 'fs';
import type { FlagSpec, ParsedArgs } from '../cli/args';
import { flagStr, flagBool } from '../cli/args';
import { UsageError } from '../errors';
import type { OpsMainOptions, SetSpec } from './host';
import { DEFAULT_SOCKET } from '../control/server';
import { TimeOfDay } from './time';

export const OPS_FLAGS: Required<Pick<FlagSpec, 'values' | 'bools' | 'multi'>> = {
  values: ['--ban-state', '--control-socket', '--control-tcp', '--control-token-file', '--metrics-port', '--metrics-host', '--sqlite',
    '--eve-socket', '--proto-socket', '--pcap-drops', '--gate', '--time-zone', '--timezone', '--set-aggregate', '--action-concurrency', '--action-timeout'],
  bools: ['--no-control'],
  multi: ['--set', '--allow'],
};

export const OPS_USAGE = `operations (docs/operations.md, docs/api.md):
  --set NAME=FILE         block list of networks (repeatable); reloaded on SIGHUP and by the API
  --allow FILE            allowlist (repeatable): never blocked by lists, bans or drop rules
  --set-aggregate N       store IPv4 entries longer than /N as their /N (one bad host implies its network)
  --gate src|dst|pair     address the lists check: source (inbound, default), destination, either end
  --ban-state FILE        keep bans and API entries across restarts (atomic, debounced writes)
  --control-socket PATH   control API socket, mode 0600 (default ${DEFAULT_SOCKET}); --no-control: none
  --control-tcp H:P       also listen on TCP (requires --control-token-file)
  --control-token-file F  bearer token for the TCP listener
  --metrics-port N        Prometheus metrics on http://127.0.0.1:N/metrics (--metrics-host to change)
  --sqlite FILE           alerts and flows into SQLite (WAL; docs/sqlite.md)
  --eve-socket PATH       EVE JSON lines to every consumer of a unix stream socket
  --proto-socket PATH     protobuf event stream (src/outputs/quell-events.proto, length-delimited)
  --pcap-drops FILE       pcap of dropped packets (FILE.N for worker N > 0)
  --time-zone ZONE        IANA zone of time.hour / time.weekday / time.minute (default UTC; alias --timezone)
  --action-concurrency N  exec/webhook actions running at once (default 4)
  --action-timeout S      seconds before an action is killed/aborted (default 10)`;

function int(p: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = flagStr(p, name);
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${name} must be a whole number ${min}..${max}, got "${v}"`);
  return Number(v);
}
function list(p: ParsedArgs, name: string): string[] {
  const v = p.flags.get(name);
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function opsOptionsFromArgs(p: ParsedArgs): OpsMainOptions {
  const agg = int(p, '--set-aggregate', 0, 32);
  const sets: SetSpec[] = [];
  const names = new Set<string>();
  for (const s of list(p, '--set')) {
    const m = /^([A-Za-z_][A-Za-z0-9_.-]{0,63})=(.+)$/.exec(s);
    if (!m) throw new UsageError(`--set needs NAME=FILE, got "${s}"`);
    if (names.has(m[1])) throw new UsageError(`--set ${m[1]} given twice`);
    names.add(m[1]);
    sets.push({ name: m[1], role: 'block', file: m[2], aggregate4: agg });
  }
  list(p, '--allow').forEach((f, i) => {
    const name = i === 0 ? 'allow' : `allow${i + 1}`;
    if (names.has(name)) throw new UsageError(`set name ${name} is reserved for --allow`);
    sets.push({ name, role: 'allow', file: f });
  });
  const gate = flagStr(p, '--gate') ?? 'src';
  if (gate !== 'src' && gate !== 'dst' && gate !== 'pair') throw new UsageError(`--gate must be src, dst or pair, got "${gate}"`);
  let controlTcp: { host: string; port: number } | null = null;
  const tcp = flagStr(p, '--control-tcp');
  if (tcp) {
    const m = /^(.+):([0-9]{1,5})$/.exec(tcp);
    if (!m || Number(m[2]) > 65535) throw new UsageError(`--control-tcp needs HOST:PORT, got "${tcp}"`);
    controlTcp = { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  }
  let token: string | null = null;
  const tf = flagStr(p, '--control-token-file');
  if (tf) {
    try { token = fs.readFileSync(tf, 'utf8').trim(); } catch (e) { throw new UsageError(`cannot read --control-token-file ${tf}: ${(e as NodeJS.ErrnoException).code}`); }
  }
  if (controlTcp && !token) throw new UsageError('--control-tcp needs --control-token-file (the TCP listener never runs without a token)');
  const tz = flagStr(p, '--time-zone') ?? flagStr(p, '--timezone') ?? 'UTC';
  try { new TimeOfDay(tz); } catch (e) { throw new UsageError((e as Error).message); }
  const noControl = flagBool(p, '--no-control');
  if (noControl && (flagStr(p, '--control-socket') || controlTcp)) throw new UsageError('--no-control excludes --control-socket/--control-tcp');
  const concurrency = int(p, '--action-concurrency', 1, 256);
  const timeoutS = int(p, '--action-timeout', 1, 3600);
  return {
    sets,
    banSet: 'bans',
    stateFile: flagStr(p, '--ban-state') ?? null,
    controlSocket: noControl ? null : (flagStr(p, '--control-socket') ?? DEFAULT_SOCKET),
    controlTcp, controlToken: token,
    metricsPort: int(p, '--metrics-port', 0, 65535) ?? null,
    metricsHost: flagStr(p, '--metrics-host') ?? '127.0.0.1',
    sqliteFile: flagStr(p, '--sqlite') ?? null,
    eveSocket: flagStr(p, '--eve-socket') ?? null,
    protoSocket: flagStr(p, '--proto-socket') ?? null,
    pcapDrops: flagStr(p, '--pcap-drops') ?? null,
    gateMode: gate,
    timeZone: tz,
    actions: { maxConcurrent: concurrency, timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000 },
  };
}
