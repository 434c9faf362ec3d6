/**
 * tcpdump truth: for every TESTLIST line whose options neither filter nor skip packets, the
 * expected tcpdump output (run upstream with -n -# and TZ=GMT0, timestamps printed as
 * `YYYY-MM-DD HH:MM:SS.frac`) numbers exactly as many packets as our reader delivers, and each
 * packet's printed timestamp equals ours (to the printed precision).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { readAll } from './helpers';
import { SHARED_PCAPS } from '../helpers/paths';

const DIR = path.join(SHARED_PCAPS, 'tcpdump');

interface Case { name: string; capture: string; output: string; options: string[] }

function cases(): Case[] {
  const out: Case[] = [];
  for (const line of fs.readFileSync(path.join(DIR, 'TESTLIST'), 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [name, capture, output, ...options] = line.trim().split(/\s+/);
    out.push({ name, capture, output, options });
  }
  return out;
}

/** Options that change which packets are printed (filters, --skip, -c): not a count truth. */
function selectsPackets(opts: string[]): boolean {
  return opts.some((o) => o === '--' || o === '--skip' || o === '-c' || !o.startsWith('-') && !/^[A-Za-z_]+$/.test(o) || o === 'SPECIAL_t');
}

function fmt(sec: number, nsec: number, digits: number): string {
  const d = new Date(sec * 1000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  const frac = digits === 9 ? String(nsec).padStart(9, '0') : String(Math.floor(nsec / 1000)).padStart(6, '0');
  return `${date}.${frac}`;
}

test('tcpdump expected outputs: packet counts and timestamps hold', async () => {
  const all = cases();
  assert.ok(all.length > 100, `TESTLIST lines: ${all.length}`);
  let checked = 0;
  let packets = 0;
  const failures: string[] = [];
  for (const c of all) {
    if (selectsPackets(c.options)) continue;
    const res = await readAll(path.join(DIR, c.capture));
    if (res.error) { failures.push(`${c.name}: ${res.error.message}`); continue; }
    const lines = fs.readFileSync(path.join(DIR, c.output), 'latin1').split('\n');
    const numbered: { n: number; ts: string | null }[] = [];
    for (const l of lines) {
      const m = /^\s*(\d+)  (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)?/.exec(l);
      if (m) numbered.push({ n: Number(m[1]), ts: m[2] ?? null });
    }
    // Packet numbers are 1..N in order; continuation lines start with whitespace then text.
    const nums = numbered.map((x) => x.n);
    const want = nums.length;
    if (!nums.every((n, i) => n === i + 1)) { failures.push(`${c.name}: packet numbers in ${c.output} are not 1..N`); continue; }
    if (want !== res.packets.length) { failures.push(`${c.name}: tcpdump printed ${want} packets, we read ${res.packets.length}`); continue; }
    for (let i = 0; i < want; i++) {
      const ts = numbered[i].ts;
      if (ts === null) continue;
      const digits = ts.length - ts.indexOf('.') - 1;
      const ours = fmt(res.packets[i].sec, res.packets[i].nsec, digits);
      if (ours !== ts) { failures.push(`${c.name}: packet ${i + 1} timestamp ${ours}, tcpdump ${ts}`); break; }
    }
    checked++;
    packets += want;
  }
  assert.deepEqual(failures, []);
  assert.ok(checked >= 100, `checked ${checked} outputs`);
  assert.ok(packets > 500, `checked ${packets} packets`);
});
