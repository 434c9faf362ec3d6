/**
 * The JS side of the NFQUEUE seam, without root: engine verdict kinds become the addon's wire
 * words (netfilter verdict, mark/payload flags, queue number) with quell's mark bits composed
 * into the packet's existing mark; a packet that already carries a quell bit never gets a REPEAT
 * (loop guard). Uses a fake addon (QUELL_NFQ_ADDON). Also the CLI helpers: --queues parsing and EVE lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { V_ACCEPT, V_DROP, V_REJECT, V_REPEAT, V_QUEUE, V_F_FLOW, V_F_PAYLOAD, V_F_MARK } from '../../src/io/batch';
import { parseQueues, eveLine } from '../../src/inline/run';
import { UsageError } from '../../src/errors';

const FAKE = path.join(__dirname, 'fixtures', 'fake-addon.js');

test('NfqueueSource.complete: kinds -> wire words, mark bits composed, loop guard', () => {
  process.env.QUELL_NFQ_ADDON = FAKE;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const fake = require(FAKE) as { sent: { id: number; w0: number; w1: number }[][]; pendingMarks: number[] };
  const { NfqueueSource } = require('../../src/io/nfqueue') as typeof import('../../src/io/nfqueue');
  const s = new NfqueueSource({ queue: 0, maxBatch: 16 });
  const NF_DROP = 0, NF_ACCEPT = 1, NF_QUEUE = 3, NF_REPEAT = 4, W_MARK = 0x100, W_PAYLOAD = 0x200;
  const userBits = 0x00000a0a;   // other tools' mark bits must survive
  fake.pendingMarks.push(userBits, userBits, userBits, userBits, userBits, userBits, userBits, userBits, userBits, 0x01000000 | userBits, 0x04000000);
  const b = s.recvSync(0)!;
  assert.equal(b.count, 11);
  const set = (i: number, kind: number, mark = 0) => { b.verdict[2 * i] = kind; b.verdict[2 * i + 1] = mark; };
  set(0, V_ACCEPT);
  set(1, V_DROP);
  set(2, V_ACCEPT | V_F_FLOW);
  set(3, V_DROP | V_F_FLOW);
  set(4, V_REJECT);
  set(5, V_REPEAT, 0x77);
  set(6, V_QUEUE, (5 << 16) >>> 0);
  set(7, V_ACCEPT | V_F_PAYLOAD, 0x42);
  set(8, V_ACCEPT | V_F_MARK, 0);
  set(9, V_ACCEPT | V_F_FLOW);   // already has the accept-flow bit: the chain did not act -> no REPEAT
  set(10, V_REJECT);             // already has the reject bit -> drop instead of looping
  s.complete(b);
  const w = fake.sent[0];
  assert.deepEqual(w.map((x) => x.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(w[0], { id: 1, w0: NF_ACCEPT, w1: 0 });
  assert.equal(w[1].w0, NF_DROP);
  assert.deepEqual(w[2], { id: 3, w0: NF_REPEAT | W_MARK, w1: userBits | 0x01000000 });
  assert.deepEqual(w[3], { id: 4, w0: NF_REPEAT | W_MARK, w1: userBits | 0x02000000 });
  assert.deepEqual(w[4], { id: 5, w0: NF_REPEAT | W_MARK, w1: userBits | 0x04000000 });
  assert.deepEqual(w[5], { id: 6, w0: NF_REPEAT | W_MARK, w1: 0x77 });
  assert.equal(w[6].w0, (NF_QUEUE | (5 << 16)) >>> 0);
  assert.deepEqual(w[7], { id: 8, w0: NF_ACCEPT | W_MARK | W_PAYLOAD, w1: 0x42 });
  assert.deepEqual(w[8], { id: 9, w0: NF_ACCEPT | W_MARK, w1: 0 });
  assert.equal(w[9].w0, NF_ACCEPT);
  assert.equal(w[10].w0, NF_DROP);
  const st = s.stats();
  assert.equal(st.loopGuard, 2);
  assert.equal(st.acceptFlow, 1);
  assert.equal(st.dropFlow, 1);
  assert.equal(st.reject, 1);
  // a batch left without complete() is answered (accept) before the next receive
  fake.pendingMarks.push(0);
  s.recvSync(0);
  fake.pendingMarks.push(0);
  s.recvSync(0);
  assert.deepEqual(fake.sent[1], [{ id: 12, w0: NF_ACCEPT, w1: 0 }]);
  s.closeSync();
  delete process.env.QUELL_NFQ_ADDON;
});

test('--queues parsing and EVE lines', () => {
  assert.deepEqual(parseQueues('0:3'), [0, 1, 2, 3]);
  assert.deepEqual(parseQueues('2'), [2]);
  assert.deepEqual(parseQueues('0,5,7:8'), [0, 5, 7, 8]);
  for (const bad of ['3:1', 'x', '0,0', '70000', '0:100']) assert.throws(() => parseQueues(bad), UsageError, bad);
  const line = eveLine({ event_type: 'alert', tsNs: 1700000000123000000n, ord: 5, seq: 1, cls: 0, big: 5n, alert: { rule: 'r' } });
  assert.ok(line.endsWith('\n'));
  assert.deepEqual(JSON.parse(line), { timestamp: '2023-11-14T22:13:20.123Z', event_type: 'alert', big: '5', alert: { rule: 'r' } });
});
