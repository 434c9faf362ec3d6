/**
 * quell iptables: the printed recipe (no root needed), and --apply / --remove as root inside a
 * namespace: installed rules equal the recipe, apply is idempotent, remove leaves nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runQuell } from '../helpers/paths';
import { NetnsPair, netnsAvailability } from '../helpers/netns';
import { QUELL_BIN } from '../helpers/paths';

const avail = netnsAvailability();
const skip = avail.ok ? false : `skipped: ${avail.reason}`;

test('quell iptables prints the chain: connmark save/restore, decided flows, reject path, bypass, balanced NFQUEUE; installs nothing', () => {
  const r = runQuell(['iptables', '--queues', '0:3', '--bypass-after', '1048576', '--family', '4']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('-'));
  assert.deepEqual(lines, [
    '-F QUELL',
    '-A QUELL -m mark ! --mark 0x0/0x03000000 -j CONNMARK --save-mark --nfmask 0x03000000 --ctmask 0x03000000',
    '-A QUELL -j CONNMARK --restore-mark --nfmask 0x03000000 --ctmask 0x03000000',
    '-A QUELL -m mark --mark 0x02000000/0x02000000 -j DROP',
    '-A QUELL -m mark --mark 0x01000000/0x01000000 -j ACCEPT',
    '-A QUELL -p tcp -m mark --mark 0x04000000/0x04000000 -j REJECT --reject-with tcp-reset',
    '-A QUELL -m mark --mark 0x04000000/0x04000000 -j REJECT --reject-with icmp-port-unreachable',
    '-A QUELL -m connbytes --connbytes 1048576: --connbytes-dir both --connbytes-mode bytes -j ACCEPT',
    '-A QUELL -j NFQUEUE --queue-balance 0:3 --queue-bypass',
    '-I INPUT ! -i lo -j QUELL',
    '-I FORWARD -j QUELL',
    '-I OUTPUT ! -o lo -j QUELL',
  ]);
  const six = runQuell(['iptables', '--queues', '2', '--family', '6', '--no-queue-bypass', '--mark-shift', '8', '--hooks', 'forward']);
  assert.equal(six.status, 0, six.stderr);
  assert.match(six.stdout, /-A QUELL -j NFQUEUE --queue-num 2\n/);
  assert.match(six.stdout, /icmp6-port-unreachable/);
  assert.match(six.stdout, /--mark 0x00000400\/0x00000400 -j REJECT/);
  assert.doesNotMatch(six.stdout, /INPUT|OUTPUT/);
  for (const bad of [['--queues', '0,2'], ['--chain', 'no spaces'], ['--hooks', 'prerouting'], ['--apply', '--remove'], ['--family', '5']]) {
    assert.equal(runQuell(['iptables', ...bad]).status, 2, `usage error for ${bad.join(' ')}`);
  }
});

test('quell iptables --apply / --remove inside a namespace: atomic, idempotent, clean', { skip, timeout: 60_000 }, () => {
  const pair = NetnsPair.create('i');
  try {
    const ipt = (...a: string[]) => pair.exec(pair.server, process.execPath, [QUELL_BIN, 'iptables', ...a]);
    const a1 = ipt('--queues', '0:1', '--apply');
    assert.equal(a1.status, 0, a1.stderr);
    const rows = a1.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((x) => [x.family, x.action]), [[4, 'apply'], [6, 'apply']]);
    const s1 = pair.exec(pair.server, 'iptables', ['-S']).stdout;
    assert.match(s1, /-A INPUT ! -i lo -j QUELL/);
    assert.match(s1, /-A QUELL -j NFQUEUE --queue-balance 0:1 --queue-bypass/);
    const a2 = ipt('--queues', '0:1', '--apply');
    assert.equal(a2.status, 0);
    const s2 = pair.exec(pair.server, 'iptables', ['-S']).stdout;
    assert.equal(s2, s1, 'applying twice changes nothing (no duplicate jumps)');
    assert.equal((s2.match(/-j QUELL/g) ?? []).length, 3);
    const six = pair.exec(pair.server, 'ip6tables', ['-S']).stdout;
    assert.match(six, /icmp6-port-unreachable/);
    const rm = ipt('--remove');
    assert.equal(rm.status, 0, rm.stderr);
    assert.doesNotMatch(pair.exec(pair.server, 'iptables', ['-S']).stdout, /QUELL/);
    assert.doesNotMatch(pair.exec(pair.server, 'ip6tables', ['-S']).stdout, /QUELL/);
    assert.match(ipt('--remove').stdout, /nothing installed/);
    assert.equal(pair.exec(pair.server, 'iptables', ['-S']).stdout, '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n');
  } finally {
    pair.destroy();
  }
});
