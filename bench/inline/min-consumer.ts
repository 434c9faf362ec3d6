/**
 * The smallest Node consumer of the addon, for bench/inline's plumbing diagnosis: recv a batch,
 * accept it, send the verdicts, nothing else (no engine, no ticks, no stats). Runs in the main
 * thread, or with `--worker` in one worker thread (as `quell run` does), so the bench can tell
 * apart what the addon + V8 cost, what a worker thread costs, and what quell's worker loop costs.
 *
 *   node dist/bench/inline/min-consumer.js QUEUE MAXLEN RCVBUF SECONDS [--worker] [--two-calls]
 * Prints "ready" on stderr once bound; exits after SECONDS, or at once on SIGTERM (default action).
 */
import { Worker, isMainThread, workerData, parentPort } from 'worker_threads';
import * as v8 from 'v8';
// MIN_V8_FLAGS: V8 flags as bin/quell.js sets them (e.g. --invocation-count-for-turbofan=30000), to compare
if (process.env.MIN_V8_FLAGS) v8.setFlagsFromString(process.env.MIN_V8_FLAGS);
import { NfqueueSource } from '../../src/io/nfqueue';

interface Args { queue: number; maxlen: number; rcvbuf: number; seconds: number }

function loop(a: Args, stopFlag: Int32Array): void {
  const s = new NfqueueSource({ queue: a.queue, maxlen: a.maxlen, rcvbuf: a.rcvbuf });
  process.stderr.write(`min-consumer: ready queue ${a.queue}${isMainThread ? '' : ' (worker)'}\n`);
  const end = Date.now() + a.seconds * 1000;
  // as quell's worker (one queue): the verdicts go out with the next recv, one native call per
  // batch; --two-calls: complete() then recv, two calls (the loop before 2026-11-21 12:10)
  const two = process.argv.includes('--two-calls') || (!isMainThread && (workerData as { two?: boolean }).two === true);
  while (Atomics.load(stopFlag, 0) === 0 && Date.now() < end) {
    const b = s.recvSync(50);
    if (b && two) s.complete(b);
  }
  s.closeSync();
}

if (isMainThread) {
  const [q, maxlen, rcvbuf, secs] = process.argv.slice(2, 6).map(Number);
  const a: Args = { queue: q, maxlen, rcvbuf, seconds: secs };
  const stop = new Int32Array(new SharedArrayBuffer(4));
  if (process.argv.includes('--worker')) {
    const w = new Worker(__filename, { workerData: { a, stop, two: process.argv.includes('--two-calls') } });
    w.on('exit', () => process.exit(0));
  } else {
    // SIGTERM keeps its default action (the synchronous loop leaves no turn to a JS handler);
    // the kernel unbinds the queue when the socket closes with the process
    setImmediate(() => { loop(a, stop); process.exit(0); });
  }
} else {
  const d = workerData as { a: Args; stop: Int32Array };
  loop(d.a, d.stop);
  parentPort?.close();
}
