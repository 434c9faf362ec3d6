/**
 * WebSocket framing (RFC 6455 section 5), streaming: one WsParser per upgraded flow (HTTP/1.1
 * "101 Switching Protocols" with "Upgrade: websocket"), fed the in-order bytes of each direction
 * after the upgrade (dir 0 = client -> server, dir 1 = server -> client).
 *
 * What it does: reads each frame header (FIN, RSV1-3, opcode, MASK, payload length in 7, 16 or 64
 * bits, masking key), unmasks the payload and hands the payload bytes of data frames (text,
 * binary and their continuation frames) to `onPayload(dir, buf, off, len)` as they arrive, in
 * order. Frame boundaries are not kept: for a tunnel (wstunnel, chisel, socket.io binary...) the
 * concatenated payloads of one direction are the tunnelled byte stream, which is what the caller
 * probes and parses (src/engine/app.ts feeds them to an inner HTTP parser when they look like HTTP).
 * Control frames (close, ping, pong) are not forwarded; a close frame's status code is kept.
 *
 * Ownership: feed() reads `buf[off, off+len)` only during the call. The view given to onPayload is
 * valid only during that callback: it is either a sub-view of the caller's buffer (unmasked frame)
 * or the module's shared unmask scratch (masked frame; overwritten by the next chunk). Nothing is
 * allocated per frame or per packet: the parser owns two 14-byte header buffers; the scratch
 * (WS_UNMASK_CHUNK bytes) is one per thread.
 *
 * Limits and anomalies (counted in `counts`, by WS_C_* index; nothing throws):
 * - a frame announcing more than WS_MAX_FRAME_BYTES of payload (or a 64-bit length with the most
 *   significant bit set, which RFC 6455 forbids) stops parsing of that direction (WS_C_TOO_BIG):
 *   the remaining bytes are counted in `opaqueBytes`, never read as frames;
 * - a fragmented message longer than WS_MAX_MESSAGE_BYTES is still forwarded (a tunnel's stream has
 *   no message size) but counted once per message (WS_C_MESSAGE_BIG);
 * - control frames longer than 125 bytes or fragmented (WS_C_CONTROL_INVALID), reserved opcodes
 *   (WS_C_OPCODE_INVALID: payload skipped), RSV bits without a negotiated extension
 *   (WS_C_RSV_INVALID), a continuation frame with no message in progress and a new data frame
 *   inside a fragmented message (WS_C_FRAGMENT_INVALID), client frames without a mask and server
 *   frames with one (WS_C_MASK_INVALID: parsed all the same, as endpoints that tolerate it do);
 * - compressed messages (RSV1 with permessage-deflate negotiated, RFC 7692) are not inflated: their
 *   payload is not forwarded (WS_C_COMPRESSED), the framing stays in sync;
 * - bytes after a close frame are not parsed (WS_C_AFTER_CLOSE, once; counted in opaqueBytes);
 * - gap(): the framing of that direction is lost (WS_C_GAP); the rest of it is opaque.
 */

/** Largest frame payload accepted (bytes). Above it the direction is no longer parsed. */
export const WS_MAX_FRAME_BYTES = 1 << 30;
/** A fragmented message's payload beyond this is counted once (WS_C_MESSAGE_BIG); still forwarded. */
export const WS_MAX_MESSAGE_BYTES = 64 << 20;
/** Control frame payloads are at most 125 bytes (RFC 6455 5.5). */
export const WS_MAX_CONTROL_BYTES = 125;
/** Bytes unmasked per onPayload call for masked frames (size of the shared scratch). */
export const WS_UNMASK_CHUNK = 16384;

export const WS_OP_CONT = 0x0, WS_OP_TEXT = 0x1, WS_OP_BINARY = 0x2, WS_OP_CLOSE = 0x8, WS_OP_PING = 0x9, WS_OP_PONG = 0xa;

// ---- counters (index into WsParser.counts)
export const WS_C_FRAMES = 0;            // frame headers read (both directions)
export const WS_C_MESSAGES = 1;          // data messages completed (FIN on a data or continuation frame)
export const WS_C_CONTROL = 2;           // control frames (close, ping, pong)
export const WS_C_TOO_BIG = 3;           // frame over WS_MAX_FRAME_BYTES or invalid 64-bit length: direction stops
export const WS_C_MESSAGE_BIG = 4;       // fragmented message over WS_MAX_MESSAGE_BYTES
export const WS_C_CONTROL_INVALID = 5;   // control frame > 125 bytes or without FIN
export const WS_C_OPCODE_INVALID = 6;    // reserved opcode 3-7 / 0xB-0xF
export const WS_C_RSV_INVALID = 7;       // RSV bits set without a negotiated extension
export const WS_C_FRAGMENT_INVALID = 8;  // continuation without a message, or data frame inside one
export const WS_C_MASK_INVALID = 9;      // client frame unmasked or server frame masked
export const WS_C_COMPRESSED = 10;       // permessage-deflate message: payload not forwarded
export const WS_C_AFTER_CLOSE = 11;      // bytes after a close frame
export const WS_C_GAP = 12;              // a hole in the stream: direction stops
export const WS_COUNTER_NAMES = [
  'frames', 'messages', 'control_frames', 'frame_too_big', 'message_too_big', 'control_invalid',
  'opcode_invalid', 'rsv_invalid', 'fragment_invalid', 'mask_invalid', 'compressed', 'after_close', 'gap',
] as const;

const H_HDR = 0, H_PAYLOAD = 1, H_DEAD = 2, H_CLOSED = 3;

class WsDir {
  st = H_HDR;
  readonly hdr = new Uint8Array(14);
  hdrHave = 0;
  /** payload bytes still to read in the current frame */
  remain = 0;
  opcode = 0;
  fin = false;
  masked = false;
  readonly key = new Uint8Array(4);
  /** position in the masking key of the next payload byte (0..3) */
  keyIdx = 0;
  /** opcode of the data message in progress (text/binary), 0 none */
  msgOp = 0;
  msgCompressed = false;
  msgBytes = 0;
  msgBig = false;
  /** what the current frame's payload is for: 1 forward, 2 close frame (kept), 0 skip */
  use = 0;
  closeLen = 0;
  afterClose = false;
  readonly closeBuf = new Uint8Array(WS_MAX_CONTROL_BYTES);
  reset(): void {
    this.st = H_HDR; this.hdrHave = 0; this.remain = 0; this.opcode = 0; this.fin = false; this.masked = false;
    this.keyIdx = 0; this.msgOp = 0; this.msgCompressed = false; this.msgBytes = 0; this.msgBig = false; this.use = 0; this.closeLen = 0; this.afterClose = false;
  }
}

/** Shared unmask output (synchronous use only; one per worker thread). */
const scratch = new Uint8Array(WS_UNMASK_CHUNK);

export type WsPayloadCallback = (dir: number, buf: Uint8Array, off: number, len: number) => void;

/** Frame header length given its second byte (2, 4 or 10, plus 4 with a mask). */
function headerLen(b1: number): number {
  const l7 = b1 & 0x7f;
  return (l7 === 126 ? 4 : l7 === 127 ? 10 : 2) + ((b1 & 0x80) !== 0 ? 4 : 0);
}

export class WsParser {
  /** Data payload bytes, unmasked, in order per direction (see the file comment for the view's life). */
  onPayload: WsPayloadCallback | null = null;
  /** permessage-deflate was negotiated (RSV1 marks compressed messages). */
  deflate = false;
  readonly counts = new Uint32Array(WS_COUNTER_NAMES.length);
  /** Payload bytes forwarded to onPayload, per direction. */
  readonly payloadBytes = [0, 0];
  /** Bytes not parsed as frames (after a close, a gap, or a frame over the limit), per direction. */
  readonly opaqueBytes = [0, 0];
  /** Close status code per direction (-1 none or no code in the close frame). */
  readonly closeCode = [-1, -1];
  private readonly d = [new WsDir(), new WsDir()];

  reset(): void {
    this.d[0].reset(); this.d[1].reset();
    this.counts.fill(0);
    this.payloadBytes[0] = this.payloadBytes[1] = 0;
    this.opaqueBytes[0] = this.opaqueBytes[1] = 0;
    this.closeCode[0] = this.closeCode[1] = -1;
    this.deflate = false;
  }

  /** Is direction dir still read as frames? */
  parsing(dir: number): boolean { const s = this.d[dir].st; return s === H_HDR || s === H_PAYLOAD; }

  feed(dir: number, buf: Uint8Array, off: number, len: number): void {
    const d = this.d[dir];
    let i = off;
    const end = off + len;
    // bounded: each turn consumes at least one byte or ends the direction
    while (i < end) {
      if (d.st === H_DEAD || d.st === H_CLOSED) {
        if (d.st === H_CLOSED && !d.afterClose) { d.afterClose = true; this.counts[WS_C_AFTER_CLOSE]++; }
        this.opaqueBytes[dir] += end - i;
        return;
      }
      if (d.st === H_HDR) {
        // header bytes (2..14) into d.hdr, possibly across feeds
        if (d.hdrHave < 2) { d.hdr[d.hdrHave++] = buf[i++]; if (d.hdrHave < 2) continue; }
        const need = headerLen(d.hdr[1]);
        while (d.hdrHave < need && i < end) d.hdr[d.hdrHave++] = buf[i++];
        if (d.hdrHave < need) return;
        this.frameHeader(dir, d);
        continue;
      }
      // payload
      const n = Math.min(d.remain, end - i);
      if (n > 0) this.payload(dir, d, buf, i, n);
      i += n;
      d.remain -= n;
      if (d.remain === 0) this.frameEnd(dir, d);
    }
  }

  /** Bytes lost in direction dir: frame boundaries are unknown from here on. */
  gap(dir: number, lost: number): void {
    const d = this.d[dir];
    if (d.st === H_HDR || d.st === H_PAYLOAD) { this.counts[WS_C_GAP]++; d.st = H_DEAD; }
    this.opaqueBytes[dir] += lost;
  }

  private frameHeader(dir: number, d: WsDir): void {
    const h = d.hdr;
    const b0 = h[0], b1 = h[1];
    d.fin = (b0 & 0x80) !== 0;
    const rsv = b0 & 0x70;
    const op = b0 & 0x0f;
    d.masked = (b1 & 0x80) !== 0;
    const l7 = b1 & 0x7f;
    let len: number, k = 2;
    if (l7 === 126) { len = (h[2] << 8) | h[3]; k = 4; }
    else if (l7 === 127) {
      const hi = ((h[2] << 24) | (h[3] << 16) | (h[4] << 8) | h[5]) >>> 0;
      const lo = ((h[6] << 24) | (h[7] << 16) | (h[8] << 8) | h[9]) >>> 0;
      k = 10;
      // RFC 6455: the most significant bit must be 0; anything above the limit stops the direction
      if (hi !== 0 || lo > WS_MAX_FRAME_BYTES) { this.counts[WS_C_TOO_BIG]++; d.st = H_DEAD; d.hdrHave = 0; return; }
      len = lo;
    } else len = l7;
    if (len > WS_MAX_FRAME_BYTES) { this.counts[WS_C_TOO_BIG]++; d.st = H_DEAD; d.hdrHave = 0; return; }
    if (d.masked) { d.key[0] = h[k]; d.key[1] = h[k + 1]; d.key[2] = h[k + 2]; d.key[3] = h[k + 3]; }
    d.keyIdx = 0;
    d.hdrHave = 0;
    d.opcode = op;
    d.remain = len;
    this.counts[WS_C_FRAMES]++;
    // RFC 6455 5.1: clients mask every frame, servers never do
    if (d.masked !== (dir === 0)) this.counts[WS_C_MASK_INVALID]++;
    if (op >= 0x8) {
      this.counts[WS_C_CONTROL]++;
      if (op > WS_OP_PONG) { this.counts[WS_C_OPCODE_INVALID]++; d.use = 0; }
      else {
        if (len > WS_MAX_CONTROL_BYTES || !d.fin) this.counts[WS_C_CONTROL_INVALID]++;
        d.use = op === WS_OP_CLOSE ? 2 : 0;
        d.closeLen = 0;
      }
      if (rsv !== 0) this.counts[WS_C_RSV_INVALID]++;
    } else if (op === WS_OP_CONT || op === WS_OP_TEXT || op === WS_OP_BINARY) {
      if (op === WS_OP_CONT) {
        if (d.msgOp === 0) { this.counts[WS_C_FRAGMENT_INVALID]++; this.newMessage(d, WS_OP_BINARY, false); }
        if (rsv !== 0) this.counts[WS_C_RSV_INVALID]++;
      } else {
        if (d.msgOp !== 0) this.counts[WS_C_FRAGMENT_INVALID]++;
        // RSV1 on the first frame of a message = compressed (RFC 7692), only when negotiated
        const compressed = this.deflate && (rsv & 0x40) !== 0;
        if ((rsv & ~(this.deflate ? 0x40 : 0)) !== 0) this.counts[WS_C_RSV_INVALID]++;
        this.newMessage(d, op, compressed);
        if (compressed) this.counts[WS_C_COMPRESSED]++;
      }
      d.use = d.msgCompressed ? 0 : 1;
    } else {
      // reserved non-control opcode: payload skipped, framing kept
      this.counts[WS_C_OPCODE_INVALID]++;
      d.use = 0;
    }
    d.st = H_PAYLOAD;
    if (len === 0) this.frameEnd(dir, d);
  }

  private newMessage(d: WsDir, op: number, compressed: boolean): void {
    d.msgOp = op; d.msgCompressed = compressed; d.msgBytes = 0; d.msgBig = false;
  }

  private payload(dir: number, d: WsDir, buf: Uint8Array, off: number, n: number): void {
    if (d.use === 1) {
      d.msgBytes += n;
      if (!d.msgBig && d.msgBytes > WS_MAX_MESSAGE_BYTES) { d.msgBig = true; this.counts[WS_C_MESSAGE_BIG]++; }
      this.payloadBytes[dir] += n;
      const cb = this.onPayload;
      if (!d.masked || cb === null) { if (cb !== null) cb(dir, buf, off, n); else d.keyIdx = (d.keyIdx + n) & 3; return; }
      // unmask chunk by chunk into the shared scratch (no allocation per frame)
      let p = off;
      const e = off + n;
      while (p < e) {
        const k = Math.min(e - p, WS_UNMASK_CHUNK);
        this.unmask(d, buf, p, k, scratch, 0);
        if (cb !== null) cb(dir, scratch, 0, k);
        p += k;
      }
      return;
    }
    if (d.use === 2) {
      const room = WS_MAX_CONTROL_BYTES - d.closeLen;
      const k = n < room ? n : room;
      if (k > 0) { this.unmask(d, buf, off, k, d.closeBuf, d.closeLen); d.closeLen += k; }
      d.keyIdx = (d.keyIdx + (n - k)) & 3;
      return;
    }
    d.keyIdx = (d.keyIdx + n) & 3;
  }

  /** out[o..] = buf[off, off+n) XOR the frame's key (or a copy when the frame is not masked). */
  private unmask(d: WsDir, buf: Uint8Array, off: number, n: number, out: Uint8Array, o: number): void {
    if (!d.masked) { out.set(buf.subarray(off, off + n), o); return; }
    const key = d.key;
    let j = d.keyIdx;
    for (let i = 0; i < n; i++) { out[o + i] = buf[off + i] ^ key[j]; j = (j + 1) & 3; }
    d.keyIdx = j;
  }

  private frameEnd(dir: number, d: WsDir): void {
    d.st = H_HDR;
    const op = d.opcode;
    if (op === WS_OP_CLOSE) {
      if (d.closeLen >= 2) this.closeCode[dir] = (d.closeBuf[0] << 8) | d.closeBuf[1];
      // RFC 6455 5.5.1: nothing follows a close frame in its direction
      d.st = H_CLOSED;
      return;
    }
    if ((op === WS_OP_CONT || op === WS_OP_TEXT || op === WS_OP_BINARY) && d.fin && d.msgOp !== 0) { this.counts[WS_C_MESSAGES]++; d.msgOp = 0; d.msgCompressed = false; }
  }
}
