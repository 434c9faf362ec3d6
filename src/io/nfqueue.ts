/**
 * NfqueueSource: a PacketSource over one NFQUEUE queue, backed by the native addon (native/).
 *
 * Ownership and lifetime (the PacketBatch contract, src/io/batch.ts):
 * - The source allocates `data` (maxBatch slots of SLOT_SIZE bytes), `desc` and `verdict` once;
 *   the addon receives straight into them (recvmmsg), so a batch costs no allocation and no copy
 *   after the kernel's.
 * - A batch returned by recvSync()/next() is valid until complete(batch) (which sends the
 *   verdicts) or the next recv, whichever comes first. A batch not completed when recvSync() is
 *   called again has its verdicts sent by that call, in the same native call as the receive (one
 *   crossing per batch instead of two: what src/inline/worker.ts does with one queue). Either way
 *   every packet gets its verdict, in order (VERDICT_BATCH relies on in-order verdicts). A caller
 *   that will not call recvSync() at once (it yields to the event loop, or waits on another
 *   queue) calls complete() first, so no verdict waits.
 * - complete() rewrites `verdict` in place from the engine's kinds (V_* in batch.ts) into the
 *   addon's wire words (netfilter verdict + flags); the engine's words are gone afterwards.
 *
 * Threading: a source belongs to the thread that created it (one queue per worker thread). The
 * addon is context-aware, so every worker_threads Worker loads its own instance.
 *
 * The addon is loaded lazily (loadNfqAddon) so the rest of quell works when it did not build.
 */
import * as fs from 'fs';
import * as path from 'path';
import { QuellError } from '../errors';
import {
  PacketBatch, PacketSource, DESC_STRIDE, D_MARK,
  V_ACCEPT, V_DROP, V_REPEAT, V_QUEUE, V_REJECT, V_KIND_MASK, V_F_PAYLOAD, V_F_FLOW, V_F_MARK,
} from './batch';
import { MarkLayout, markLayout } from '../inline/marks';

/** Bytes per received datagram: a 64 KiB GSO super-packet plus netlink attributes. */
export const SLOT_SIZE = 65536 + 1024;
export const DEFAULT_MAX_BATCH = 64;
/** Upper bound of --busy-poll (us): longer windows would keep a CPU busy through real idle gaps. */
export const MAX_BUSY_POLL_US = 100_000;
export const DEFAULT_MAXLEN = 4096;
export const DEFAULT_COPY_RANGE = 0xffff;
/** rcvbuf must hold maxlen packets' worth of messages; 64 MiB covers 4096 x 16 KiB. */
export const DEFAULT_RCVBUF = 64 << 20;

// Wire words understood by the addon (native/src/nfq.cc).
const NF_DROP = 0, NF_ACCEPT = 1, NF_QUEUE = 3, NF_REPEAT = 4;
const W_MARK = 0x100, W_PAYLOAD = 0x200;

/** Errors from the NFQUEUE layer, with the addon's stable codes:
 *  QUELL_E_NFQ_PERM (run as root / CAP_NET_ADMIN), QUELL_E_NFQ_BUSY (queue held by another process),
 *  QUELL_E_NFQ_MODULE (modprobe nfnetlink_queue), QUELL_E_NFQ_ADDON (addon not built),
 *  QUELL_E_NFQ_CONFIG, QUELL_E_NFQ_BIND, QUELL_E_NFQ_SOCKET, QUELL_E_NFQ_RECV, QUELL_E_NFQ_TIMEOUT,
 *  QUELL_E_NFQ_CLOSED, QUELL_E_NFQ_ARGS. */
export class NfqError extends QuellError {
  readonly errno: number;
  constructor(code: string, message: string, errno = 0) {
    super(code, message);
    this.errno = errno;
  }
}

export interface NfqAddonQueue {
  /** with verdicts > 0: first sends the previous batch's first `verdicts` verdicts */
  recv(timeoutMs: number, verdicts?: number): number;
  verdict(n: number): number;
  close(): void;
  stats(): NfqNativeStats;
}
export interface NfqNativeStats {
  queue: number; portid: number; packets: number; recvCalls: number; enobufs: number; truncated: number;
  malformed: number; idGaps: number; lastId: number; setupAccepted: number; overflowAccepted: number;
  verdictAccept: number; verdictDrop: number; verdictRepeat: number; verdictQueue: number;
  verdictMsgsSingle: number; verdictMsgsBatch: number; badVerdicts: number; replaced: number; replaceRefused: number;
  sendCalls: number; sendErrors: number; unsentDatagrams: number; lastSendErrno: number;
  verdictErrors: number; lastVerdictErrno: number; batchHist: number[]; open: boolean;
  /** busy poll (NfqOptions.busyPollUs): the window, spins (MSG_DONTWAIT tries that found nothing),
   *  hits (receives served while spinning, i.e. wake-ups avoided) and the time spent spinning */
  busyPollUs: number; busySpins: number; busyHits: number; busyUs: number;
}
export interface NfqAddon {
  Queue: new (opts: object, data: ArrayBuffer, desc: Uint32Array, verdict: Uint32Array) => NfqAddonQueue;
  fixChecksums(u8: Uint8Array, off: number, len: number): boolean;
  /** sched_yield(): a busy-polling JS loop gives the CPU to tasks woken on it (worker.ts) */
  relax(): void;
  DESC_STRIDE: number;
  ABI: number;
}

let addon: NfqAddon | null = null;
/** Version of the addon's JS interface (native/src/nfq.cc exports ABI): 2 added relax() and busyPollUs. */
export const NFQ_ADDON_ABI = 2;

/** Where the addon is looked for: QUELL_NFQ_ADDON, then native/build/Release above this file. */
export function addonPath(): string {
  if (process.env.QUELL_NFQ_ADDON) return process.env.QUELL_NFQ_ADDON;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'native', 'build', 'Release', 'quell_nfq.node');
    if (fs.existsSync(p)) return p;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..', '..', '..', 'native', 'build', 'Release', 'quell_nfq.node');
}

/** Load the addon once per thread. Throws NfqError QUELL_E_NFQ_ADDON with the fix when missing. */
export function loadNfqAddon(): NfqAddon {
  if (addon) return addon;
  if (process.platform !== 'linux') throw new NfqError('QUELL_E_NFQ_ADDON', 'NFQUEUE (inline mode) exists only on Linux');
  const p = addonPath();
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    addon = require(p) as NfqAddon;
  } catch (e) {
    throw new NfqError('QUELL_E_NFQ_ADDON', `the native NFQUEUE addon is not available (${p}): ${(e as Error).message}. ` +
      'Build it with `npm run build:native` (needs python3, make, g++).');
  }
  if (addon.DESC_STRIDE !== DESC_STRIDE) {
    const got = addon.DESC_STRIDE; addon = null;
    throw new NfqError('QUELL_E_NFQ_ADDON', `addon descriptor stride ${got} != ${DESC_STRIDE}: rebuild it (npm run build:native)`);
  }
  if (addon.ABI !== NFQ_ADDON_ABI) {
    const got = addon.ABI; addon = null;
    throw new NfqError('QUELL_E_NFQ_ADDON', `addon ABI ${got} != ${NFQ_ADDON_ABI} (built from older sources): rebuild it (npm run build:native)`);
  }
  return addon;
}

export interface NfqOptions {
  queue: number;
  maxBatch?: number;
  maxlen?: number;
  copyRange?: number;
  rcvbuf?: number;
  /** NFQA_CFG_F_FAIL_OPEN: when the queue or our socket is full, the kernel accepts instead of dropping. */
  failOpen?: boolean;
  /** NFQA_CFG_F_GSO (default true): receive GSO super-packets unsegmented (TCP 3.7 -> 14.8 Gbit/s here). */
  gso?: boolean;
  /** NFQA_CFG_F_CONNTRACK: needs nf_conntrack_netlink. */
  conntrack?: boolean;
  /** Mark bit layout shared with `quell iptables` (src/inline/marks.ts). */
  markShift?: number;
  /** Busy poll (`quell run --busy-poll US`, default 0 = off): a blocking recvSync() first retries
   *  without sleeping while the last packet is less than this many microseconds old, so a
   *  steady flow of packets never waits for this thread to wake up. Costs a CPU while traffic
   *  flows; idle once the window has passed (native/src/nfq.cc BusyPoll). */
  busyPollUs?: number;
}

/** Counters kept on the JS side of the seam. */
export interface NfqJsStats {
  /** flow/reject verdicts turned into plain ones because the packet already carried a quell bit:
   *  the iptables chain did not act on it (rules missing), and a REPEAT would loop. */
  loopGuard: number;
  reject: number;
  acceptFlow: number;
  dropFlow: number;
}

function wrapNativeError(e: unknown): never {
  const err = e as { code?: string; message?: string; errno?: number };
  if (err && typeof err.code === 'string' && err.code.startsWith('QUELL_E_')) throw new NfqError(err.code, String(err.message), err.errno ?? 0);
  throw e;
}

export class NfqueueSource implements PacketSource {
  readonly queue: number;
  readonly maxBatch: number;
  readonly batch: PacketBatch;
  readonly marks: MarkLayout;
  readonly js: NfqJsStats = { loopGuard: 0, reject: 0, acceptFlow: 0, dropFlow: 0 };
  private q: NfqAddonQueue | null;
  private pending = 0;

  constructor(opts: NfqOptions) {
    const a = loadNfqAddon();
    this.queue = opts.queue;
    this.maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH;
    this.marks = markLayout(opts.markShift);
    const data = new ArrayBuffer(this.maxBatch * SLOT_SIZE);
    const desc = new Uint32Array(this.maxBatch * DESC_STRIDE);
    const verdict = new Uint32Array(this.maxBatch * 2);
    this.batch = { data: new Uint8Array(data), desc, verdict, count: 0 };
    try {
      this.q = new a.Queue({
        queue: opts.queue, maxBatch: this.maxBatch, slotSize: SLOT_SIZE,
        maxlen: opts.maxlen ?? DEFAULT_MAXLEN, copyRange: opts.copyRange ?? DEFAULT_COPY_RANGE,
        rcvbuf: opts.rcvbuf ?? DEFAULT_RCVBUF, failOpen: opts.failOpen ?? false, gso: opts.gso ?? true,
        conntrack: opts.conntrack ?? false, busyPollUs: opts.busyPollUs ?? 0,
      }, data, desc, verdict);
    } catch (e) { wrapNativeError(e); }
  }

  /**
   * Wait up to timeoutMs for packets; returns the batch (count >= 1) or null on timeout.
   * Verdicts default to ACCEPT (so a consumer that forgets one fails open, visibly in stats).
   */
  recvSync(timeoutMs: number): PacketBatch | null {
    if (!this.q) throw new NfqError('QUELL_E_NFQ_CLOSED', `queue ${this.queue} is closed`);
    // a batch not completed yet: its verdicts go out first, inside the same native call
    const prev = this.pending;
    if (prev) { this.pending = 0; this.toWire(this.batch, prev); }
    let n: number;
    try { n = this.q.recv(timeoutMs, prev); } catch (e) { wrapNativeError(e); }
    if (n === 0) return null;
    const v = this.batch.verdict;
    for (let i = 0; i < 2 * n; i += 2) { v[i] = V_ACCEPT; v[i + 1] = 0; }
    this.batch.count = n;
    this.pending = n;
    return this.batch;
  }

  /** PacketSource: resolves with the next batch (waits in slices of 100 ms); null once closed. */
  async next(_max: number): Promise<PacketBatch | null> {
    for (;;) {
      if (!this.q) return null;
      const b = this.recvSync(100);
      if (b) return b;
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Send the batch's verdicts (one syscall; see native/src/nfq.cc Verdict). */
  complete(batch: PacketBatch): void {
    if (!this.q || this.pending === 0) return;
    const n = this.pending;
    this.pending = 0;
    this.toWire(batch, n);
    try { this.q.verdict(n); } catch (e) { wrapNativeError(e); }
  }

  /** Send the verdicts of a batch still pending (not completed), if any. */
  flush(): void { if (this.pending) this.complete(this.batch); }

  /** Engine kinds -> wire words, in place. Per packet: a few integer ops, no allocation. */
  private toWire(batch: PacketBatch, n: number): void {
    const v = batch.verdict, d = batch.desc, mk = this.marks;
    for (let i = 0; i < n; i++) {
      const w = v[2 * i], m = v[2 * i + 1] >>> 0;
      const kind = w & V_KIND_MASK;
      const pm = d[i * DESC_STRIDE + D_MARK];
      const payload = (w & V_F_PAYLOAD) ? W_PAYLOAD : 0;
      // a packet already carrying a quell bit came back: the chain did not act on it; no REPEAT then.
      const guard = (pm & mk.mask) !== 0;
      let w0: number, w1 = 0;
      if (kind === V_ACCEPT) {
        if ((w & V_F_FLOW) && !guard) { w0 = NF_REPEAT | W_MARK; w1 = ((pm & ~mk.mask) | (m & ~mk.mask) | mk.acceptFlow) >>> 0; this.js.acceptFlow++; }
        else { w0 = NF_ACCEPT | ((m !== 0 || (w & V_F_MARK)) ? W_MARK : 0); w1 = m; if (guard && (w & V_F_FLOW)) this.js.loopGuard++; }
      } else if (kind === V_DROP) {
        if ((w & V_F_FLOW) && !guard) { w0 = NF_REPEAT | W_MARK; w1 = ((pm & ~mk.mask) | mk.dropFlow) >>> 0; this.js.dropFlow++; }
        else { w0 = NF_DROP; if (guard && (w & V_F_FLOW)) this.js.loopGuard++; }
      } else if (kind === V_REJECT) {
        if (!guard) { w0 = NF_REPEAT | W_MARK; w1 = ((pm & ~mk.mask) | mk.reject) >>> 0; this.js.reject++; }
        else { w0 = NF_DROP; this.js.loopGuard++; }
      } else if (kind === V_REPEAT) {
        w0 = NF_REPEAT | ((m !== 0 || (w & V_F_MARK)) ? W_MARK : 0); w1 = m;
      } else if (kind === V_QUEUE) {
        w0 = (NF_QUEUE | (m & 0xffff0000)) >>> 0;
      } else {
        w0 = NF_ACCEPT;   // unknown kind: counted natively as accept; engines only write V_*
      }
      v[2 * i] = (w0 | payload) >>> 0;
      v[2 * i + 1] = w1;
    }
  }

  stats(): NfqNativeStats & NfqJsStats {
    const s = this.q ? this.q.stats() : ({ open: false } as NfqNativeStats);
    return { ...s, ...this.js };
  }

  /** Flush pending verdicts, unbind the queue (NFQNL_CFG_CMD_UNBIND), close the socket. Idempotent. */
  async close(): Promise<void> { this.closeSync(); }
  closeSync(): void {
    if (!this.q) return;
    if (this.pending) this.complete(this.batch);
    this.q.close();
    this.q = null;
  }
}

// ---- kernel counters ----------------------------------------------------------------------------

export interface KernelQueueStats {
  queue: number; portid: number; inflight: number; copyMode: number; copyRange: number;
  queueDropped: number; userDropped: number; idSequence: number;
}

/** Parse /proc/net/netfilter/nfnetlink_queue (per network namespace: the reader's). Missing file -> []. */
export function readKernelQueueStats(file = '/proc/net/netfilter/nfnetlink_queue'): KernelQueueStats[] {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return []; }
  const out: KernelQueueStats[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length < 8 || f.some((x) => !Number.isFinite(x))) continue;
    out.push({ queue: f[0], portid: f[1], inflight: f[2], copyMode: f[3], copyRange: f[4], queueDropped: f[5], userDropped: f[6], idSequence: f[7] });
  }
  return out;
}
