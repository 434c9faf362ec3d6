/**
 * Shared pieces of the inline tests: start quell run inside the server namespace, read its EVE
 * file, run curl/dig in the client namespace. Everything bounded in time.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildProcess } from 'child_process';
import { NetnsPair, waitFor } from '../helpers/netns';
import { QUELL_BIN, ROOT } from '../helpers/paths';

export const FIXTURES = path.join(ROOT, 'dist', 'test', 'inline', 'fixtures');
export const MARKER_ENGINE = path.join(FIXTURES, 'marker-engine.js');

export interface Quell {
  proc: ChildProcess;
  eve: string;
  stderr: () => string;
  events: () => Record<string, any>[];
  stop: (sig?: NodeJS.Signals) => Promise<number | null>;
}

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `quell-inline-${tag}-`));
}

/** Start `quell run ARGS --eve FILE` in the server namespace and wait (<= 20 s) for "ready". */
export async function startQuell(pair: NetnsPair, args: string[], dir: string): Promise<Quell> {
  const eve = path.join(dir, `eve-${Date.now()}-${Math.random().toString(36).slice(2, 7)}.json`);
  const proc = pair.spawn(pair.server, process.execPath, [QUELL_BIN, 'run', '--eve', eve, '--stats-interval', '1', ...args]);
  let err = '';
  proc.stderr!.on('data', (d) => { err += String(d); });
  proc.stdout!.resume();
  const ok = await waitFor(() => err.includes('ready:') || proc.exitCode !== null, 20_000, 25);
  if (!ok || proc.exitCode !== null) {
    try { proc.kill('SIGKILL'); } catch { /* gone */ }
    throw new Error(`quell run did not start (exit ${proc.exitCode}): ${err}`);
  }
  const events = () => {
    let t = '';
    try { t = fs.readFileSync(eve, 'utf8'); } catch { return []; }
    return t.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  };
  const stop = async (sig: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode !== null) return proc.exitCode;
    proc.kill(sig);
    await waitFor(() => proc.exitCode !== null || proc.signalCode !== null, 10_000, 25);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    return proc.exitCode;
  };
  return { proc, eve, stderr: () => err, events, stop };
}

/** Start the python http.server in the server namespace (request log on its stderr). */
export async function startHttpServer(pair: NetnsPair, dir: string, port = 8080, bind?: string): Promise<{ log: () => string }> {
  fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello from the server\n');
  const p = pair.spawn(pair.server, 'python3', ['-u', '-m', 'http.server', String(port), '--bind', bind ?? pair.serverAddr, '--directory', dir]);
  let log = '';
  p.stderr!.on('data', (d) => { log += String(d); });
  p.stdout!.on('data', (d) => { log += String(d); });
  // bounded wait until it accepts connections (plain TCP probe from the server namespace itself)
  for (let i = 0; i < 100; i++) {
    const r = pair.exec(pair.server, 'bash', ['-c', `exec 3<>/dev/tcp/${pair.serverAddr}/${port}`], { timeoutMs: 2000 });
    if (r.status === 0) break;
    if (i === 99) throw new Error('http server did not start');
    await new Promise((r2) => setTimeout(r2, 50));
  }
  return { log: () => log };
}

export interface CurlResult { exit: number; code: string; ms: number; stderr: string }

export function curl(pair: NetnsPair, url: string, opts: { maxTime?: number; from?: string } = {}): CurlResult {
  const args = ['-s', '-S', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', String(opts.maxTime ?? 3)];
  if (opts.from) args.push('--interface', opts.from);
  const t0 = Date.now();
  const r = pair.exec(pair.client, 'curl', [...args, url], { timeoutMs: ((opts.maxTime ?? 3) + 5) * 1000 });
  return { exit: r.status ?? -1, code: String(r.stdout ?? ''), ms: Date.now() - t0, stderr: String(r.stderr ?? '') };
}

/** Latest stats event with inline per-queue data. */
export function lastStats(q: Quell): Record<string, any> | null {
  const s = q.events().filter((e) => e.event_type === 'stats');
  return s.length ? s[s.length - 1] : null;
}

export async function applyIptables(pair: NetnsPair, args: string[]): Promise<void> {
  const r = pair.exec(pair.server, process.execPath, [QUELL_BIN, 'iptables', '--family', '4', ...args, '--apply']);
  if (r.status !== 0) throw new Error(`quell iptables --apply failed: ${r.stderr}`);
}

export function sleep(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms)); }

/**
 * The HTTP + DNS scenario of plumbing.test.ts and rules.test.ts: a fresh namespace pair `ns`, a temp
 * dir, the rules file `rulesName` written with `rulesText`, the python HTTP server (:8080) and the
 * DNS fixture (:53, its log collected) in the server namespace, iptables applied for queue 0.
 * The caller owns it: done() destroys the namespaces and the dir (also done here if setup fails).
 */
export interface HttpDnsScenario {
  dir: string; pair: NetnsPair; rules: string;
  http: { log: () => string };
  dnsLog: () => string;
  done: () => void;
}
export async function httpDnsScenario(tag: string, ns: string, rulesName: string, rulesText: string): Promise<HttpDnsScenario> {
  const dir = tmpDir(tag);
  const pair = NetnsPair.create(ns);
  const done = () => { pair.destroy(); fs.rmSync(dir, { recursive: true, force: true }); };
  try {
    const rules = path.join(dir, rulesName);
    fs.writeFileSync(rules, rulesText);
    const http = await startHttpServer(pair, dir);
    const dns = pair.spawn(pair.server, process.execPath, [path.join(FIXTURES, 'dns-server.js'), '53']);
    let dnsLog = '';
    dns.stdout!.on('data', (d) => { dnsLog += String(d); });
    await applyIptables(pair, ['--queues', '0']);
    return { dir, pair, rules, http, dnsLog: () => dnsLog, done };
  } catch (e) { done(); throw e; }
}
