/**
 * Overload policies against the real kernel: quell's socket fills up while it is stopped (SIGSTOP)
 * with a deliberately small --rcvbuf. Fail-closed: the kernel drops the overflow and counts it
 * (user_dropped), quell sees the same number as packet-id gaps and keeps running. Fail-open: the
 * overflow is accepted unseen (every datagram arrives) and quell's bypass estimate counts it.
 * Also: a second quell on a held queue exits 1 with QUELL_E_NFQ_BUSY.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { NetnsPair, netnsAvailability, waitFor } from '../helpers/netns';
import { startQuell, tmpDir, applyIptables, FIXTURES, MARKER_ENGINE, lastStats, sleep } from './helpers';
import { QUELL_BIN } from '../helpers/paths';

const avail = netnsAvailability();
const skip = avail.ok ? false : `skipped: ${avail.reason}`;
const COUNT = 6000;

async function burst(pair: NetnsPair, policy: string, dir: string): Promise<{ received: number; q0: any }> {
  const q = await startQuell(pair, ['--queues', '0', policy, '--rcvbuf', '65536', '--queue-maxlen', '100000', '--engine-module', MARKER_ENGINE], dir);
  try {
    const recv = pair.spawn(pair.server, process.execPath, [path.join(FIXTURES, 'udp-tools.js'), 'recv', '9000', '30']);
    let out = '';
    recv.stdout!.on('data', (d) => { out += String(d); });
    await waitFor(() => /listening/.test(out), 5000);
    q.proc.kill('SIGSTOP');
    const send = pair.spawn(pair.client, process.execPath, [path.join(FIXTURES, 'udp-tools.js'), 'send', pair.serverAddr, '9000', String(COUNT), '200000']);
    await waitFor(() => send.exitCode !== null, 20_000);
    await sleep(200);
    q.proc.kill('SIGCONT');
    await waitFor(() => /received/.test(out), 20_000);
    await sleep(1300);
    const s = lastStats(q)!;
    return { received: JSON.parse(out.trim().split('\n').pop()!).received, q0: s.inline.queues[0] };
  } finally {
    q.proc.kill('SIGCONT');
    assert.equal(await q.stop('SIGTERM'), 0, 'quell survived the overflow and stopped cleanly');
  }
}

test('overload, fail-closed: the socket overflow is dropped and counted (kernel user_dropped == our id gaps)', { skip, timeout: 90_000 }, async (t) => {
  const dir = tmpDir('ovc');
  const pair = NetnsPair.create('o');
  try {
    await applyIptables(pair, ['--queues', '0']);
    const { received, q0 } = await burst(pair, '--fail-closed', dir);
    t.diagnostic(`fail-closed: sent ${COUNT}, received ${received}, user_dropped ${q0.kernel.user_dropped}, ids unseen ${q0.ids_unseen}`);
    assert.ok(q0.kernel.user_dropped > 0, 'the small receive buffer overflowed');
    assert.equal(received + q0.kernel.user_dropped, COUNT, 'every datagram either arrived or was counted as dropped');
    assert.equal(q0.ids_unseen, q0.kernel.user_dropped, 'quell sees the drops as packet ids it never got');
    assert.equal(q0.fail_open_bypass_estimate, 0);
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('overload, fail-open: the overflow is accepted unseen (all datagrams arrive) and estimated by quell', { skip, timeout: 90_000 }, async (t) => {
  const dir = tmpDir('ovo');
  const pair = NetnsPair.create('o');
  try {
    await applyIptables(pair, ['--queues', '0']);
    const { received, q0 } = await burst(pair, '--fail-open', dir);
    t.diagnostic(`fail-open: sent ${COUNT}, received ${received}, seen by quell ${q0.packets}, bypass estimate ${q0.fail_open_bypass_estimate}`);
    assert.equal(received, COUNT, 'nothing lost');
    assert.equal(q0.kernel.user_dropped, 0, 'fail-open: the kernel counts nothing');
    assert.ok(q0.fail_open_bypass_estimate > 0, 'quell estimates the bypass from id gaps');
    assert.equal(q0.packets + q0.fail_open_bypass_estimate, COUNT, 'seen + bypassed = sent');
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a second quell on a held queue exits 1 with QUELL_E_NFQ_BUSY and says what to do', { skip, timeout: 60_000 }, async () => {
  const dir = tmpDir('busy');
  const pair = NetnsPair.create('o');
  try {
    const q = await startQuell(pair, ['--queues', '0', '--engine-module', MARKER_ENGINE], dir);
    try {
      const r = pair.exec(pair.server, process.execPath, [QUELL_BIN, 'run', '--queues', '0']);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /error\[QUELL_E_NFQ_BUSY\]: queue 0 is already bound by another process/);
    } finally {
      assert.equal(await q.stop('SIGTERM'), 0);
    }
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
