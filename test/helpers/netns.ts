/**
 * Network namespaces for inline tests and benches: a client namespace and a server namespace
 * joined by one veth pair, private addresses (10.199.1.0/24) that exist only inside them.
 *
 * Names are unique per process (pid + counter), so parallel runs do not collide. Always call
 * destroy() in `finally`: it deletes both namespaces (which deletes the veth pair and every
 * iptables rule inside them) and kills the processes this helper started in them.
 * Every command is bounded by a timeout.
 */
import { spawnSync, spawn, ChildProcess, SpawnSyncReturns } from 'child_process';

export const SERVER_ADDR = '10.199.1.1';
/** IPv6 unique-local addresses, also only inside the namespaces (added with nodad: usable at once). */
export const SERVER_ADDR6 = 'fd00:199::1';
export const CLIENT_ADDR6 = 'fd00:199::2';
export const CLIENT_ADDRS = ['10.199.1.2', '10.199.1.3'];
export const PREFIX = 24;
const CMD_TIMEOUT_MS = 20_000;

let counter = 0;

export interface Availability { ok: boolean; reason: string }

/** Root + `ip netns` + iptables usable here? (reason says why not, for test skip messages). */
export function netnsAvailability(): Availability {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'inline tests need root (CAP_NET_ADMIN): run as root' };
  for (const tool of ['ip', 'iptables', 'iptables-restore']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8', timeout: 5000 });
    if (r.status !== 0) return { ok: false, reason: `${tool} not installed (apt-get install iproute2 iptables)` };
  }
  const name = `qprobe${process.pid}x${counter++}`;
  const r = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8', timeout: CMD_TIMEOUT_MS });
  if (r.status !== 0) return { ok: false, reason: `network namespaces unavailable: ip netns add: ${String(r.stderr).trim()}` };
  const t = spawnSync('ip', ['netns', 'exec', name, 'iptables', '-S'], { encoding: 'utf8', timeout: CMD_TIMEOUT_MS });
  spawnSync('ip', ['netns', 'del', name], { timeout: CMD_TIMEOUT_MS });
  if (t.status !== 0) return { ok: false, reason: `iptables does not work inside a namespace: ${String(t.stderr).trim()}` };
  return { ok: true, reason: '' };
}

function run(cmd: string, args: string[], input?: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: CMD_TIMEOUT_MS, input });
  return r;
}

function must(cmd: string, args: string[], input?: string): string {
  const r = run(cmd, args, input);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.error}`);
  return r.stdout;
}

export class NetnsPair {
  readonly client: string;
  readonly server: string;
  readonly vethClient: string;
  readonly vethServer: string;
  readonly serverAddr = SERVER_ADDR;
  readonly serverAddr6 = SERVER_ADDR6;
  readonly clientAddr6 = CLIENT_ADDR6;
  readonly clientAddrs: string[];
  private children: ChildProcess[] = [];
  private destroyed = false;

  private constructor(tag: string, clientCount: number) {
    this.clientAddrs = Array.from({ length: clientCount }, (_, i) => `10.199.1.${i + 2}`);
    const id = `${process.pid}${tag}${counter++}`;
    this.client = `qc${id}`;
    this.server = `qs${id}`;
    // interface names: at most 15 bytes
    this.vethClient = `qvc${id}`.slice(0, 15);
    this.vethServer = `qvs${id}`.slice(0, 15);
  }

  /** Create both namespaces, the veth pair, addresses (clientCount client addresses, 10.199.1.2 up);
   *  lo up in both. Cleans up if anything fails. */
  static create(tag = 'n', clientCount = 2): NetnsPair {
    if (clientCount < 1 || clientCount > 200) throw new RangeError('clientCount 1..200');
    const p = new NetnsPair(tag, clientCount);
    try {
      must('ip', ['netns', 'add', p.client]);
      must('ip', ['netns', 'add', p.server]);
      must('ip', ['link', 'add', p.vethClient, 'netns', p.client, 'type', 'veth', 'peer', 'name', p.vethServer, 'netns', p.server]);
      for (const a of p.clientAddrs) must('ip', ['-n', p.client, 'addr', 'add', `${a}/${PREFIX}`, 'dev', p.vethClient]);
      must('ip', ['-n', p.server, 'addr', 'add', `${p.serverAddr}/${PREFIX}`, 'dev', p.vethServer]);
      must('ip', ['-n', p.client, '-6', 'addr', 'add', `${CLIENT_ADDR6}/64`, 'dev', p.vethClient, 'nodad']);
      must('ip', ['-n', p.server, '-6', 'addr', 'add', `${SERVER_ADDR6}/64`, 'dev', p.vethServer, 'nodad']);
      for (const [ns, dev] of [[p.client, p.vethClient], [p.server, p.vethServer]]) {
        must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
        must('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      }
      // bounded wait until both ends report LOWER_UP (no ping: iputils is not installed in CI)
      for (let i = 0; ; i++) {
        const a = run('ip', ['-n', p.client, '-o', 'link', 'show', 'dev', p.vethClient]).stdout ?? '';
        const b = run('ip', ['-n', p.server, '-o', 'link', 'show', 'dev', p.vethServer]).stdout ?? '';
        if (a.includes('LOWER_UP') && b.includes('LOWER_UP')) break;
        if (i >= 100) throw new Error('veth link did not come up within 5 s');
        spawnSync('sleep', ['0.05']);
      }
    } catch (e) {
      p.destroy();
      throw e;
    }
    return p;
  }

  /** Run a command in a namespace, synchronously, bounded. */
  exec(ns: string, cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
    return spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: opts.timeoutMs ?? CMD_TIMEOUT_MS, input: opts.input, maxBuffer: 64 << 20 });
  }

  /** Start a long-running process in a namespace; destroy() kills it (SIGKILL) if still running. */
  spawn(ns: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.children.push(c);
    return c;
  }

  /** Delete everything. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
    }
    // processes still inside the namespaces (started by ip netns exec from elsewhere): kill by netns pid list
    for (const ns of [this.server, this.client]) {
      const r = run('ip', ['netns', 'pids', ns]);
      for (const pid of String(r.stdout ?? '').split(/\s+/).filter(Boolean)) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
      run('ip', ['netns', 'del', ns]);
    }
  }
}

/** Wait (bounded) until `pred` is true; returns whether it became true. */
export async function waitFor(pred: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return pred();
}
