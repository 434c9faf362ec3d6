/**
 * JIT warm-up of an inline engine before its queue is bound (`quell run --warmup MS`).
 *
 * Why: V8 runs a fresh worker's pipeline in its interpreter and baseline tiers until each hot
 * function has run long enough to be optimised. Measured in process (bench/inline/engine-cost.ts,
 * 64-byte UDP, default.rules): the first 50,000 packets of a fresh engine cost 2.4 µs each, the
 * warm engine 0.45 µs; without rules 1.0 vs 0.15 µs. So without a warm-up, the first seconds of
 * traffic after every start (including a restart under load with --queue-bypass) meet an engine
 * 5x slower than the one that runs afterwards, and queue up behind it.
 *
 * How: a throwaway engine with the same ruleset and options (its own detector, flow table, rate
 * and scan state; no operations layer, so nothing is banned, logged or counted anywhere) processes
 * a crafted mix of raw IP packets (the link type the NFQUEUE addon delivers) in batches like the
 * addon's, round after round, until the packet budget is spent (default WARMUP_DEFAULT_PACKETS:
 * ~0.3-0.5 s on this machine; at most WARMUP_MAX_MS). Optimised code is shared by every
 * engine of the thread (it lives with the functions, not with an engine), so the real engine
 * starts warm. The mix covers the paths all traffic takes: IPv4 and IPv6, TCP handshakes, HTTP
 * requests and responses (headers, Content-Length and chunked bodies), FIN and RST closes, DNS
 * over UDP, plain UDP datagrams, ICMP echo, SYNs to many ports. Each round moves the clock on by
 * more than the flow timeouts, so flows also end and are created again.
 *
 * Ownership: the batch built here owns its buffers; nothing of it outlives warmUp().
 */
import type { Engine } from '../engine/types';
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_TS_SEC, D_TS_NSEC, D_LINK, D_ID, D_HOOK, D_FLAGS, F_CSUM_NOT_READY, PacketBatch } from '../io/batch';
import { Trace, TcpSession, udpExchange, icmpEchoFrame, udpFrame } from '../io/craft';
import { dnsMessage, dnsQuery } from '../io/craft-dns';

/** Default warm-up per worker, in packets (`quell run --warmup N`). V8 tiers up after an amount
 *  of work, not of time, so the budget is work; WARMUP_MAX_MS caps it on a slow machine. */
export const WARMUP_DEFAULT_PACKETS = 150_000;
/** Longest warm-up, whatever the packet budget. */
export const WARMUP_MAX_MS = 5000;
/** Flow table size of the throwaway engine (the code paths do not depend on it). */
export const WARMUP_MAX_FLOWS = 4096;
/** Rate, scan and host-tag table sizes of the throwaway detectors (the mix has a few dozen hosts;
 *  the defaults, 65,536 each, reserve ~32 MB per detector). */
export const WARMUP_OPS_LIMITS = { rateMaxKeys: 1024, scanMaxSources: 1024, hostTagsMax: 1024 };
/** Packets per full warm-up batch (the addon's default batch size); every other pair of rounds
 *  uses batches of 2. */
export const WARMUP_BATCH = 64;

const LINKTYPE_RAW = 101;
const ETH_HLEN = 14;
/** Seconds the clock moves per round: longer than every default flow timeout. */
const ROUND_SECONDS = 3700;

export interface WarmupReport { ms: number; packets: number; rounds: number }

/** The crafted mix as frames (Ethernet, from src/io/craft), in order. Deterministic. */
export function warmupFrames(): Uint8Array[] {
  const t = new Trace({ start: 1_700_000_000, stepNs: 200_000 });
  const ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
  const body = '<!doctype html><html><head><title>warm-up</title></head><body>' + 'x'.repeat(900) + '</body></html>\n';
  const resp = (status: string, b: string, extra = '') =>
    `HTTP/1.1 ${status}\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: ${b.length}\r\n${extra}\r\n${b}`;
  const get = (uri: string, host: string) => `GET ${uri} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${ua}\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n`;
  for (const [client, server] of [['192.0.2.10', '198.51.100.80'], ['2001:db8::10', '2001:db8:1::80']]) {
    let cport = 40000;
    new TcpSession(t, { client, server, cport: cport++, sport: 80 })
      .handshake()
      .send('client', get('/index.html?q=1&lang=en', 'www.example.com'))
      .send('server', resp('200 OK', body), { segments: [300, 400] })
      .send('client', get('/static/app.js', 'www.example.com'))
      .send('server', resp('304 Not Modified', ''))
      .close('fin');
    const form = 'user=alice&comment=Hello%2C+world%21';
    const chunked = '{"a":1}';
    new TcpSession(t, { client, server, cport: cport++, sport: 8080 })
      .handshake()
      .send('client', `POST /api/v1/items HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: curl/8.5.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}`)
      .send('server', `HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunked.length.toString(16)}\r\n${chunked}\r\n0\r\n\r\n`)
      .close('rst', 'client');
    new TcpSession(t, { client, server, cport: cport++, sport: 443 })
      .handshake()
      .send('client', new Uint8Array(517).fill(0x16))
      .send('server', new Uint8Array(1400).fill(0x17))
      .close('fin', 'server');
    udpExchange(t, { client, server, cport: 53000, sport: 53, messages: [
      { from: 'client', data: dnsQuery(0x1234, 'www.example.com', 'A') },
      { from: 'server', data: dnsMessage({ id: 0x1234, response: true, question: { name: 'www.example.com', type: 'A' }, answers: [{ name: 'www.example.com', type: 'CNAME', target: 'edge.example.net' }, { name: 'edge.example.net', type: 'A', addr: '93.184.216.34' }] }) },
      { from: 'client', data: dnsQuery(0x1235, 'example.com', 'AAAA') },
    ] });
    for (let i = 0; i < 128; i++) t.add(udpFrame(client, server, 'x'.repeat(36 + (i & 31)), { sport: 41000 + (i >> 5), dport: 9000 + (i & 1) }));
    for (let p = 0; p < 16; p++) new TcpSession(t, { client, server, cport: 45000, sport: 20 + p * 7 }).segment('client', 'S');
    t.add(icmpEchoFrame(client, server, { id: 7, seq: 1, data: 'ping' }));
    t.add(icmpEchoFrame(server, client, { id: 7, seq: 1, reply: true, data: 'ping' }));
  }
  return t.packets.map((p) => p.data);
}

/** The mix as batches of raw IP packets (Ethernet header removed) of `perBatch` packets, descriptors
 *  without time. */
function rawBatches(perBatch: number): PacketBatch[] {
  const frames = warmupFrames();
  const out: PacketBatch[] = [];
  for (let at = 0; at < frames.length; at += perBatch) {
    const part = frames.slice(at, at + perBatch);
    let size = 0;
    for (const f of part) size += f.length - ETH_HLEN;
    const data = new Uint8Array(size);
    const desc = new Uint32Array(part.length * DESC_STRIDE);
    let o = 0;
    part.forEach((f, i) => {
      const ip = f.subarray(ETH_HLEN);
      data.set(ip, o);
      const d = i * DESC_STRIDE;
      desc[d + D_OFF] = o; desc[d + D_CAPLEN] = ip.length; desc[d + D_WIRELEN] = ip.length;
      desc[d + D_LINK] = LINKTYPE_RAW; desc[d + D_HOOK] = 1; desc[d + D_ID] = at + i + 1;
      // half of them as the kernel marks offloaded ones (local or virtio traffic): that branch of
      // the pipeline (L4 checksums not verified) must have run before real packets take it
      desc[d + D_FLAGS] = (i & 1) !== 0 ? F_CSUM_NOT_READY : 0;
      o += ip.length;
    });
    // count is written after the literal, as NfqueueSource.recvSync writes it per batch: a field
    // V8 has only ever seen initialised is "const", and the optimised processBatch relies on that
    // (no reload of batch.count around its calls); the first real batch's store would then
    // deoptimise processBatch (measured: marked "code dependencies" right at the first recvSync)
    const b: PacketBatch = { data, desc, verdict: new Uint32Array(part.length * 2), count: 0 };
    b.count = part.length;
    out.push(b);
  }
  return out;
}

/**
 * Run `engines` (throwaways: their state and events are discarded), one round each in turn, over
 * the mix until `packets` packets were processed or WARMUP_MAX_MS passed. Give two: V8
 * specialises a call site on the one closure it has seen (the engine's detect hook, the
 * detector's inner functions, each created per engine), and the real engine's closures would
 * deoptimise that code on its first packet ("wrong call target"; measured: the first ~30,000
 * real packets then ran at 2.1 µs instead of 0.5). After seeing two closures of the same
 * function, the call sites check the function, not the closure, and the real engine fits. Never throws: a failing engine ends the
 * warm-up early (the real engine's own policy handles such bugs on real traffic).
 */
export function warmUp(engines: Engine[], packets: number, maxMs = WARMUP_MAX_MS): WarmupReport {
  const rep: WarmupReport = { ms: 0, packets: 0, rounds: 0 };
  if (!(packets > 0)) return rep;
  const t0 = Date.now();
  try {
    // full batches (a busy queue) and batches of 2 (a quiet one: per-batch code such as the
    // flow sweep must get hot too, and runs 32x more often this way)
    const shapes = [rawBatches(WARMUP_BATCH), rawBatches(2)];
    let sec = 1_700_000_000;
    while (rep.packets < packets) {
      const engine = engines[rep.rounds % engines.length];
      const batches = shapes[(rep.rounds >> 1) % shapes.length];
      let nsec = 0;
      for (const b of batches) {
        for (let i = 0; i < b.count; i++) {
          const d = i * DESC_STRIDE;
          b.desc[d + D_TS_SEC] = sec; b.desc[d + D_TS_NSEC] = nsec;
          nsec += 150_000;
          if (nsec >= 1e9) { sec++; nsec -= 1e9; }
        }
        engine.processBatch(b);
        engine.drainEvents();
        rep.packets += b.count;
      }
      rep.rounds++;
      sec += ROUND_SECONDS;
      if (Date.now() - t0 >= maxMs) break;
    }
  } catch { /* warm-up is best effort */ }
  rep.ms = Date.now() - t0;
  return rep;
}
