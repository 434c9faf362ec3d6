/**
 * bench/sets: how long does a block list of N networks take to load, and what does a lookup cost,
 * next to the kernel's ipset loading the same list with `ipset restore` in the same run.
 *
 *   node dist/bench/sets/bench-sets.js [--sizes 1000,100000,1000000] [--no-ipset] [--json]
 *
 * Lists are generated deterministically (xorshift32, fixed seed) with a mix of prefix lengths
 * like public drop lists (FireHOL level1, Spamhaus DROP, abuse.ch feeds): half single hosts, a
 * fifth /24s, the rest spread over /8../31. IPv4 only, so ipset (hash:net family inet) loads the
 * very same lines.
 *
 * Measured:
 *   quell load    CidrSet.fromFile: read + parse + trie insert (wall ms, best of 3)
 *   quell lookup  ns per contains() over 2M addresses, half inside listed networks (best of 3)
 *   ipset load    `ipset restore -exist` of the same networks into a fresh hash:net set (wall ms,
 *                 includes process start ~1 ms; best of 3; the set is destroyed after each run)
 * Ratios: ipset load / quell load. (Kernel lookup cost is not measured here: it needs packets
 * through netfilter; see bench/inline for per-packet figures.)
 *
 * Needs root for ipset (skipped with a note otherwise). The machine is shared: figures are noisy.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { CidrSet } from '../../src/ops/cidr-set';

function rng(seed: number): () => number { let x = seed >>> 0 || 1; return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; }; }

function pickLen(r: () => number): number {
  const u = r() % 100;
  if (u < 50) return 32;
  if (u < 75) return 24;
  if (u < 90) return 25 + (r() % 7);   // /25../31
  if (u < 99) return 17 + (r() % 7);   // /17../23
  return 12 + (r() % 5);               // /12../16 (1%: a few large allocations)
}

export function generate(n: number, seed = 0xC0FFEE): { text: string; nets: Uint32Array } {
  const r = rng(seed ^ n);
  const nets = new Uint32Array(2 * n);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = pickLen(r);
    let a = r();
    // keep away from 0/8, 127/8 and multicast (ipset refuses nothing of these, but realism)
    const top = a >>> 24;
    if (top === 0 || top === 127 || top >= 224) a = ((a & 0x00ffffff) | ((1 + (top % 200)) << 24)) >>> 0;
    a = len === 32 ? a : (a & ~(0xffffffff >>> len)) >>> 0;
    nets[2 * i] = a; nets[2 * i + 1] = len;
    lines.push(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}${len === 32 ? '' : '/' + len}`);
  }
  return { text: `# generated ${n} networks\n` + lines.join('\n') + '\n', nets };
}

function best<T>(k: number, f: () => T): { ms: number; v: T } {
  let bestMs = Infinity; let v!: T;
  for (let i = 0; i < k; i++) { const t0 = process.hrtime.bigint(); v = f(); const ms = Number(process.hrtime.bigint() - t0) / 1e6; if (ms < bestMs) bestMs = ms; }
  return { ms: bestMs, v };
}

function main(): void {
  const argv = process.argv.slice(2);
  const si = argv.indexOf('--sizes');
  const sizes = si >= 0 ? argv[si + 1].split(',').map(Number) : [1000, 100_000, 1_000_000];
  const noIpset = argv.includes('--no-ipset') || (process.getuid?.() ?? 1) !== 0 || spawnSync('ipset', ['version']).status !== 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-bench-sets-'));
  const results: Record<string, unknown>[] = [];
  try {
    for (const n of sizes) {
      const { text, nets } = generate(n);
      const file = path.join(dir, `list-${n}.txt`);
      fs.writeFileSync(file, text);
      const load = best(3, () => CidrSet.fromFile(file));
      const set = load.v;
      // probe addresses: half inside a listed network, half random
      const r = rng(12345);
      const P = 2_000_000;
      const probes = new Uint32Array(P);
      for (let i = 0; i < P; i++) {
        if (i & 1) probes[i] = r();
        else { const j = r() % n; const len = nets[2 * j + 1]; probes[i] = (nets[2 * j] | (len === 32 ? 0 : (r() & (0xffffffff >>> len)))) >>> 0; }
      }
      let hits = 0;
      const look = best(3, () => { let h = 0; for (let i = 0; i < P; i++) if (set.contains(probes[i])) h++; return h; });
      hits = look.v;
      // baseline in the same run: one dependent random read in an array as large as the trie
      // (what a cache miss costs on this machine right now)
      const big = new Int32Array(Math.max(1 << 16, set.trieBytes >> 2));
      for (let i = 0; i < big.length; i++) big[i] = (Math.imul(i + 1, 0x9e3779b1) >>> 0) % big.length;
      const base = best(3, () => { let x = 0; for (let i = 0; i < P; i++) x = big[(x + probes[i]) % big.length]; return x; });
      const row: Record<string, unknown> = {
        networks: n, quell_load_ms: +load.ms.toFixed(1), quell_lookup_ns: +((look.ms * 1e6) / P).toFixed(1), hit_ratio: +(hits / P).toFixed(3),
        trie_mib: +(set.trieBytes / 1048576).toFixed(1),
        random_read_ns: +((base.ms * 1e6) / P).toFixed(1), lookup_over_random_read: +(look.ms / base.ms).toFixed(2), file_mib: +(Buffer.byteLength(text) / 1048576).toFixed(1),
      };
      if (!noIpset) {
        const name = `quellb${process.pid % 100000}${n}`.slice(0, 31);
        const rf = path.join(dir, `restore-${n}.txt`);
        const body = [`create ${name} hash:net family inet hashsize ${Math.max(1024, 1 << Math.ceil(Math.log2(n)))} maxelem ${Math.max(65536, 2 * n)}`];
        for (const l of text.split('\n')) if (l && !l.startsWith('#')) body.push(`add ${name} ${l}`);
        fs.writeFileSync(rf, body.join('\n') + '\n');
        const ip = best(3, () => {
          spawnSync('ipset', ['destroy', name]);
          const t = spawnSync('ipset', ['restore', '-exist', '-file', rf], { encoding: 'utf8' });
          if (t.status !== 0) throw new Error(`ipset restore failed: ${t.stderr}`);
          return 0;
        });
        const cnt = spawnSync('ipset', ['list', name, '-terse'], { encoding: 'utf8' }).stdout;
        spawnSync('ipset', ['destroy', name]);
        row.ipset_load_ms = +ip.ms.toFixed(1);
        row.ipset_entries = Number(/Number of entries: (\d+)/.exec(cnt)?.[1] ?? -1);
        row.ipset_over_quell_load = +(ip.ms / load.ms).toFixed(2);
      }
      results.push(row);
      process.stdout.write(JSON.stringify(row) + '\n');
    }
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  if (noIpset) process.stderr.write('ipset skipped (needs root and ipset)\n');
  process.stderr.write('\n| networks | quell load ms | quell lookup ns | lookup / random read | trie MiB | ipset restore ms | ipset/quell load |\n|---|---|---|---|---|---|---|\n');
  for (const r of results) process.stderr.write(`| ${r.networks} | ${r.quell_load_ms} | ${r.quell_lookup_ns} | ${r.lookup_over_random_read} | ${r.trie_mib} | ${r.ipset_load_ms ?? '-'} | ${r.ipset_over_quell_load ?? '-'} |\n`);
}

if (require.main === module) main();
