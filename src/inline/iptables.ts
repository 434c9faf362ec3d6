/**
 * The recommended iptables rules for `quell run`, as iptables-restore input (printed by default,
 * installed atomically with `iptables-restore --noflush` on --apply, removed on --remove).
 * Rule-by-rule explanation and the mark bits: docs/inline.md.
 */
import { spawnSync } from 'child_process';
import { QuellError, UsageError } from '../errors';
import { MarkLayout, markLayout, hex } from './marks';

export type Hook = 'INPUT' | 'FORWARD' | 'OUTPUT';
export const ALL_HOOKS: Hook[] = ['INPUT', 'FORWARD', 'OUTPUT'];

export interface RecipeOptions {
  queues: number[];
  chain: string;
  hooks: Hook[];
  /** --queue-bypass: when no quell is bound to the queue, packets are accepted (default true) */
  queueBypass: boolean;
  /** keep flows in the kernel once they carried this many bytes (connbytes, both directions) */
  bypassAfter: number | null;
  /** --queue-cpu-fanout instead of the address hash (needs RSS/RPS) */
  cpuFanout: boolean;
  markShift: number;
}

export class IptablesError extends QuellError {
  constructor(message: string) { super('QUELL_E_IPTABLES', message); }
}

function hookJump(hook: Hook, chain: string): string {
  // loopback is never queued: local control traffic (and quell's own) stays out of the queue
  if (hook === 'INPUT') return `INPUT ! -i lo -j ${chain}`;
  if (hook === 'OUTPUT') return `OUTPUT ! -o lo -j ${chain}`;
  return `FORWARD -j ${chain}`;
}

export function validateRecipe(o: RecipeOptions): void {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,27}$/.test(o.chain)) throw new UsageError(`--chain: "${o.chain}" is not a valid chain name (letters, digits, _ and -, at most 28)`);
  if (o.queues.length === 0) throw new UsageError('--queues: no queue');
  for (let i = 1; i < o.queues.length; i++) {
    if (o.queues[i] !== o.queues[i - 1] + 1) throw new UsageError('--queues: the NFQUEUE target needs one contiguous range A:B');
  }
  if (o.hooks.length === 0) throw new UsageError('--hooks: at least one of input,forward,output');
}

/** The QUELL chain's rules (without the -A CHAIN prefix handling), for one family. */
export function chainRules(o: RecipeOptions, family: 4 | 6): string[] {
  const m: MarkLayout = markLayout(o.markShift);
  const c = o.chain, fm = hex(m.flowMask);
  const rules: string[] = [];
  // 1. a flow verdict just came back from quell (REPEAT + mark): remember it in the connmark
  rules.push(`-A ${c} -m mark ! --mark 0x0/${fm} -j CONNMARK --save-mark --nfmask ${fm} --ctmask ${fm}`);
  // 2. every packet: copy the flow's decision (if any) from the connmark into the packet mark
  rules.push(`-A ${c} -j CONNMARK --restore-mark --nfmask ${fm} --ctmask ${fm}`);
  // 3. decided flows stay in the kernel
  rules.push(`-A ${c} -m mark --mark ${hex(m.dropFlow)}/${hex(m.dropFlow)} -j DROP`);
  rules.push(`-A ${c} -m mark --mark ${hex(m.acceptFlow)}/${hex(m.acceptFlow)} -j ACCEPT`);
  // 4. the reject path: quell answered REPEAT + reject bit; the kernel sends the RST / ICMP error
  rules.push(`-A ${c} -p tcp -m mark --mark ${hex(m.reject)}/${hex(m.reject)} -j REJECT --reject-with tcp-reset`);
  rules.push(`-A ${c} -m mark --mark ${hex(m.reject)}/${hex(m.reject)} -j REJECT --reject-with ${family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'}`);
  // 5. bypass after N bytes: long transfers leave the queue (connbytes enables conntrack accounting)
  if (o.bypassAfter !== null) {
    rules.push(`-A ${c} -m connbytes --connbytes ${o.bypassAfter}: --connbytes-dir both --connbytes-mode bytes -j ACCEPT`);
  }
  // 6. everything else goes to quell
  const q0 = o.queues[0], q1 = o.queues[o.queues.length - 1];
  const target = q0 === q1 ? `--queue-num ${q0}` : `--queue-balance ${q0}:${q1}${o.cpuFanout ? ' --queue-cpu-fanout' : ''}`;
  rules.push(`-A ${c} -j NFQUEUE ${target}${o.queueBypass ? ' --queue-bypass' : ''}`);
  return rules;
}

/** iptables-restore --noflush input that installs the chain and the hook jumps (skipping jumps already present). */
export function applyScript(o: RecipeOptions, family: 4 | 6, presentJumps: Set<Hook> = new Set()): string {
  validateRecipe(o);
  const lines = ['*filter', `:${o.chain} - [0:0]`, `-F ${o.chain}`, ...chainRules(o, family)];
  for (const h of o.hooks) if (!presentJumps.has(h)) lines.push(`-I ${hookJump(h, o.chain)}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** iptables-restore --noflush input that removes what applyScript installed (only the parts present). */
export function removeScript(o: RecipeOptions, presentJumps: Set<Hook>, chainExists: boolean): string {
  const lines = ['*filter'];
  for (const h of ALL_HOOKS) if (presentJumps.has(h)) lines.push(`-D ${hookJump(h, o.chain)}`);
  if (chainExists) lines.push(`-F ${o.chain}`, `-X ${o.chain}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** What `quell iptables` prints: both families, commented. */
export function printedRecipe(o: RecipeOptions, families: (4 | 6)[]): string {
  validateRecipe(o);
  const m = markLayout(o.markShift);
  const out: string[] = [
    `# quell iptables: recommended rules for quell run --queues ${o.queues[0]}:${o.queues[o.queues.length - 1]} --mark-shift ${o.markShift}`,
    `# mark bits: accept-flow ${hex(m.acceptFlow)}, drop-flow ${hex(m.dropFlow)} (saved in the connmark), reject ${hex(m.reject)} (packet only)`,
    '# install: quell iptables --apply   remove: quell iptables --remove   (see docs/inline.md)',
  ];
  for (const f of families) {
    out.push('', `# ---- ${f === 4 ? 'iptables-restore --noflush' : 'ip6tables-restore --noflush'} (IPv${f})`);
    out.push(applyScript(o, f).trimEnd());
  }
  return out.join('\n') + '\n';
}

function tool(family: 4 | 6, name: 'iptables' | 'iptables-restore'): string {
  return family === 4 ? name : name.replace('iptables', 'ip6tables');
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { timeout: 5000 }).status === 0;
}

/** Which hook jumps to the chain exist now, and whether the chain exists. */
export function inspect(o: RecipeOptions, family: 4 | 6): { jumps: Set<Hook>; chain: boolean } {
  const ipt = tool(family, 'iptables');
  const jumps = new Set<Hook>();
  for (const h of ALL_HOOKS) {
    const r = spawnSync(ipt, ['-w', '5', '-C', ...hookJump(h, o.chain).split(' ')], { timeout: 10_000 });
    if (r.status === 0) jumps.add(h);
  }
  const chain = spawnSync(ipt, ['-w', '5', '-S', o.chain], { timeout: 10_000 }).status === 0;
  return { jumps, chain };
}

function restore(family: 4 | 6, script: string): void {
  const r = spawnSync(tool(family, 'iptables-restore'), ['-w', '5', '--noflush'], { input: script, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) {
    const why = String(r.stderr || r.error || '').trim();
    const hint = /Permission denied|not permitted/i.test(why) ? ' (run as root or grant CAP_NET_ADMIN)' :
      /connbytes|CONNMARK|NFQUEUE|REJECT/i.test(why) ? ' (a kernel module is missing: xt_connbytes / xt_connmark / xt_NFQUEUE / REJECT)' : '';
    throw new IptablesError(`${tool(family, 'iptables-restore')} --noflush failed${hint}: ${why}\n--- input ---\n${script}`);
  }
}

export interface ApplyResult { family: 4 | 6; action: 'apply' | 'remove'; skipped?: string; hooksAdded?: Hook[] }

/** Install (atomically per family) the chain and jumps. Families without the tool are skipped with a reason. */
export function apply(o: RecipeOptions, families: (4 | 6)[]): ApplyResult[] {
  validateRecipe(o);
  const out: ApplyResult[] = [];
  for (const f of families) {
    if (!has(tool(f, 'iptables-restore'))) { out.push({ family: f, action: 'apply', skipped: `${tool(f, 'iptables-restore')} not installed` }); continue; }
    const st = inspect(o, f);
    restore(f, applyScript(o, f, st.jumps));
    out.push({ family: f, action: 'apply', hooksAdded: o.hooks.filter((h) => !st.jumps.has(h)) });
  }
  return out;
}

export function remove(o: RecipeOptions, families: (4 | 6)[]): ApplyResult[] {
  const out: ApplyResult[] = [];
  for (const f of families) {
    if (!has(tool(f, 'iptables-restore'))) { out.push({ family: f, action: 'remove', skipped: `${tool(f, 'iptables-restore')} not installed` }); continue; }
    const st = inspect(o, f);
    if (st.jumps.size === 0 && !st.chain) { out.push({ family: f, action: 'remove', skipped: 'nothing installed' }); continue; }
    restore(f, removeScript(o, st.jumps, st.chain));
    out.push({ family: f, action: 'remove' });
  }
  return out;
}
