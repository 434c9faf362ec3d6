/**
 * SOCKS4 / SOCKS4a / SOCKS5 handshake (RFC 1928, RFC 1929 user/password; SOCKS4 and 4a as
 * published by NEC/OpenSSH). Only the handshake is parsed: once the client's request and the
 * server's successful reply have been consumed, every later byte of the direction is tunnel data
 * (`feed` returns where it starts) that the caller probes like a new flow (src/engine/app.ts).
 *
 * Messages, client -> server:
 *   v4 request    04 CMD PORT(2) IP(4) USERID.. 00 [HOST.. 00 when IP is 0.0.0.x, x != 0: 4a]
 *   v5 greeting   05 N METHODS(N)
 *   v5 auth       01 ULEN USER PLEN PASS (RFC 1929, only after the greeting)
 *   v5 request    05 CMD 00 ATYP ADDR PORT(2) (ATYP 1: 4 bytes, 3: LEN + name, 4: 16 bytes)
 * server -> client:
 *   v4 reply      00 STATUS PORT(2) IP(4) (STATUS 0x5a granted)
 *   v5 method     05 METHOD; v5 auth status 01 STATUS; v5 reply 05 REP 00 ATYP ADDR PORT(2) (REP 0 ok)
 *
 * Buffers: `feed` reads `buf[off, off+len)` during the call only; a message split across calls is
 * copied into a per-direction buffer of at most SOCKS_MAX_MSG bytes (longer: the handshake fails,
 * counter `tooLong`). Malformed input never throws: the parser enters SOCKS_FAILED and the
 * direction stays opaque.
 */

/** Longest handshake message kept while split: v4a request with 255-byte user id and host. */
export const SOCKS_MAX_MSG = 2 + 2 + 4 + 256 + 256;
/** Most methods a plausible v5 greeting offers (detection). */
export const SOCKS5_MAX_METHODS = 16;

/** Direction states. */
export const SOCKS_HANDSHAKE = 0, SOCKS_TUNNEL = 1, SOCKS_FAILED = 2;

const NEED = -1, BAD = 0;

/** Printable name byte (user id / host name in v4/4a). */
function nameByte(c: number): boolean { return c >= 0x20 && c < 0x7f; }

/** Length of a v4/4a request at buf[off..]: > 0 complete, NEED, BAD. */
function v4Request(b: Uint8Array, off: number, len: number): number {
  if (len < 2) return NEED;
  if (b[off] !== 4 || (b[off + 1] !== 1 && b[off + 1] !== 2)) return BAD;
  if (len < 9) return NEED;
  let i = off + 8;
  const end = off + len;
  while (i < end && b[i] !== 0) { if (!nameByte(b[i]) || i - off - 8 > 255) return BAD; i++; }
  if (i >= end) return len >= SOCKS_MAX_MSG ? BAD : NEED;
  i++;
  const a4 = b[off + 4] === 0 && b[off + 5] === 0 && b[off + 6] === 0 && b[off + 7] !== 0;
  if (!a4) return i - off;
  const h = i;
  while (i < end && b[i] !== 0) { if (!nameByte(b[i]) || i - h > 255) return BAD; i++; }
  if (i >= end) return len >= SOCKS_MAX_MSG ? BAD : NEED;
  if (i === h) return BAD;
  return i + 1 - off;
}

/** v5 greeting length, NEED or BAD. */
function v5Greeting(b: Uint8Array, off: number, len: number): number {
  if (len < 2) return NEED;
  const n = b[off + 1];
  if (b[off] !== 5 || n < 1 || n > SOCKS5_MAX_METHODS) return BAD;
  if (len < 2 + n) return NEED;
  for (let i = 0; i < n; i++) {
    const m = b[off + 2 + i];
    // assigned (0..9), private (0x80..0xfe); 0xff is "no acceptable method", only in replies
    if (m > 9 && (m < 0x80 || m === 0xff)) return BAD;
  }
  return 2 + n;
}

/** v5 request or reply (same layout): length, NEED or BAD. `reply`: second byte is REP. */
function v5Addr(b: Uint8Array, off: number, len: number, reply: boolean): number {
  if (b[off] !== 5) return BAD;
  if (len >= 2 && !reply && (b[off + 1] < 1 || b[off + 1] > 3)) return BAD;
  if (len >= 3 && b[off + 2] !== 0) return BAD;
  if (len < 5) return NEED;
  const at = b[off + 3];
  const n = at === 1 ? 4 + 6 : at === 4 ? 4 + 18 : at === 3 ? 5 + b[off + 4] + 2 : 0;
  if (n === 0) return BAD;
  return len >= n ? n : NEED;
}

/** RFC 1929 user/password request length, NEED or BAD. */
function v5Auth(b: Uint8Array, off: number, len: number): number {
  if (len < 2) return NEED;
  if (b[off] !== 1) return BAD;
  const ul = b[off + 1];
  if (len < 3 + ul) return NEED;
  const n = 3 + ul + b[off + 2 + ul];
  return len >= n ? n : NEED;
}

/**
 * Does the start of a to-server stream look like a SOCKS client? 1 yes, 0 no, -1 need more
 * (detectApp's contract). A v5 greeting must be the whole view or be followed by the next client
 * message (an auth request or a v5 request: clients that do not wait for the method reply).
 */
export function matchSocksClient(b: Uint8Array, off: number, len: number): number {
  if (len < 1) return NEED;
  if (b[off] === 4) { const r = v4Request(b, off, len); return r > 0 ? 1 : r; }
  if (b[off] !== 5) return 0;
  const r = v5Greeting(b, off, len);
  if (r <= 0) return r;
  if (len === r) return 1;
  const c = b[off + r];
  return c === 1 || c === 5 ? 1 : 0;
}

/** One SOCKS connection's handshake: per direction state and what the handshake said. */
export class SocksParser {
  version = 0;
  /** dir 0 = client, 1 = server: SOCKS_HANDSHAKE, SOCKS_TUNNEL or SOCKS_FAILED */
  state = [SOCKS_HANDSHAKE, SOCKS_HANDSHAKE];
  /** messages consumed per direction */
  private step = [0, 0];
  /** v5: method chosen by the server (-1 none yet) */
  method = -1;
  /** request: command (1 CONNECT, 2 BIND, 3 UDP ASSOCIATE), target host (name or address text), port, user */
  cmd = 0;
  host = '';
  port = 0;
  user = '';
  /** server reply code (v4 0x5a.., v5 0..8), -1 none yet */
  reply = -1;
  /** counter: a split message longer than SOCKS_MAX_MSG */
  tooLong = 0;
  private buf: (Uint8Array | null)[] = [null, null];
  private bufLen = [0, 0];

  /**
   * Handshake bytes of direction dir. Returns the offset in `buf` where tunnel data starts (the
   * rest of the view is tunnel bytes), or -1 when the whole view was handshake (or the
   * direction failed: see `state`).
   */
  feed(dir: number, buf: Uint8Array, off: number, len: number): number {
    if (this.state[dir] === SOCKS_TUNNEL) return off;
    if (this.state[dir] === SOCKS_FAILED) return -1;
    const end = off + len;
    let p = off;
    while (p < end) {
      let b = buf, o = p, l = end - p;
      const held = this.bufLen[dir];
      let took = 0;
      if (held > 0) {
        // join the held start of a split message with as much of this view as fits
        took = Math.min(l, SOCKS_MAX_MSG - held);
        const hb = this.buf[dir]!;
        hb.set(buf.subarray(p, p + took), held);
        b = hb; o = 0; l = held + took;
      }
      const n = this.message(dir, b, o, l);
      if (n === BAD) { this.fail(dir); return -1; }
      if (n === NEED) {
        if (l >= SOCKS_MAX_MSG) { this.tooLong++; this.fail(dir); return -1; }
        if (held === 0) {
          let hb = this.buf[dir];
          if (hb === null) { hb = new Uint8Array(SOCKS_MAX_MSG); this.buf[dir] = hb; }
          hb.set(buf.subarray(p, end), 0);
          this.bufLen[dir] = end - p;
        } else this.bufLen[dir] = l;
        return -1;
      }
      // a complete message of n bytes: of which n - held came from this view
      p += held > 0 ? n - held : n;
      this.bufLen[dir] = 0;
      if (this.state[dir] !== SOCKS_HANDSHAKE) break;
    }
    if (this.state[dir] === SOCKS_TUNNEL) { this.buf[dir] = null; return p < end ? p : -1; }
    return -1;
  }

  private fail(dir: number): void { this.state[dir] = SOCKS_FAILED; this.buf[dir] = null; this.bufLen[dir] = 0; }

  /** Parse one message at b[o, o+l): its length, NEED or BAD; updates state on completion. */
  private message(dir: number, b: Uint8Array, o: number, l: number): number {
    const step = this.step[dir];
    if (dir === 0) {
      if (step === 0) {
        if (b[o] === 4) {
          const n = v4Request(b, o, l);
          if (n > 0) { this.version = 4; this.request4(b, o, n); this.step[0]++; this.state[0] = SOCKS_TUNNEL; }
          return n;
        }
        const n = v5Greeting(b, o, l);
        if (n > 0) { this.version = 5; this.step[0]++; }
        return n;
      }
      // v5 after the greeting: an auth request (01) or the request (05)
      if (b[o] === 1 && step === 1) {
        const n = v5Auth(b, o, l);
        if (n > 0) { this.user = latin1(b, o + 2, b[o + 1]); this.step[0]++; }
        return n;
      }
      const n = v5Addr(b, o, l, false);
      if (n > 0) { this.request5(b, o, n); this.step[0]++; this.state[0] = SOCKS_TUNNEL; }
      return n;
    }
    // server
    if (this.version === 4 || (this.version === 0 && b[o] === 0)) {
      if (l < 8) return NEED;
      if (b[o] !== 0) return BAD;
      this.reply = b[o + 1];
      this.step[1]++;
      this.state[1] = this.reply === 0x5a ? SOCKS_TUNNEL : SOCKS_FAILED;
      return 8;
    }
    if (step === 0) {
      if (l < 2) return NEED;
      if (b[o] !== 5) return BAD;
      this.method = b[o + 1];
      this.step[1]++;
      if (this.method === 0xff) this.state[1] = SOCKS_FAILED;
      return 2;
    }
    if (step === 1 && b[o] === 1) {
      // auth status
      if (l < 2) return NEED;
      this.step[1]++;
      if (b[o + 1] !== 0) this.state[1] = SOCKS_FAILED;
      return 2;
    }
    const n = v5Addr(b, o, l, true);
    if (n > 0) {
      this.reply = b[o + 1];
      this.step[1]++;
      this.state[1] = this.reply === 0 ? SOCKS_TUNNEL : SOCKS_FAILED;
    }
    return n;
  }

  private request4(b: Uint8Array, o: number, n: number): void {
    this.cmd = b[o + 1];
    this.port = (b[o + 2] << 8) | b[o + 3];
    let i = o + 8;
    while (b[i] !== 0) i++;
    this.user = latin1(b, o + 8, i - o - 8);
    if (b[o + 4] === 0 && b[o + 5] === 0 && b[o + 6] === 0 && b[o + 7] !== 0) this.host = latin1(b, i + 1, o + n - i - 2);
    else this.host = `${b[o + 4]}.${b[o + 5]}.${b[o + 6]}.${b[o + 7]}`;
  }

  private request5(b: Uint8Array, o: number, n: number): void {
    this.cmd = b[o + 1];
    const at = b[o + 3];
    if (at === 1) this.host = `${b[o + 4]}.${b[o + 5]}.${b[o + 6]}.${b[o + 7]}`;
    else if (at === 3) this.host = latin1(b, o + 5, b[o + 4]);
    else {
      const g: string[] = [];
      for (let i = 0; i < 8; i++) g.push(((b[o + 4 + 2 * i] << 8) | b[o + 5 + 2 * i]).toString(16));
      this.host = g.join(':');
    }
    this.port = (b[o + n - 2] << 8) | b[o + n - 1];
  }
}

function latin1(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[o + i]);
  return s;
}
