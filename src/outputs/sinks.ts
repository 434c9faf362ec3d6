/**
 * Non-blocking event sinks for the inline runner: an append-only line file that can be reopened
 * (log rotation on SIGHUP) and a unix-socket fan-out server (EVE JSON lines, protobuf frames).
 *
 * Both take already-formatted bytes and never wait: `write()` returns at once. When a consumer
 * falls behind, its bounded buffer fills and further records are dropped and counted (`shed`),
 * because the verdict path must not stall on a disk or a slow reader. (The replay path uses
 * EveWriter in eve.ts, which applies back-pressure instead: offline, nothing is lost.)
 *
 * Unix socket mode: quell LISTENS on a SOCK_STREAM socket (mode 0600 by default) and every
 * connected consumer receives every record from the moment it connects. Datagram sockets are not
 * offered: Node's dgram module has no AF_UNIX support, and a datagram per event caps events at
 * the socket's max datagram size anyway.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { OpsConfigError } from '../ops/errors';

/** Bytes a line file may have queued before it sheds. */
export const FILE_MAX_PENDING = 16 * 1024 * 1024;
/** Bytes a socket consumer may have unread before records to it are dropped. */
export const SOCKET_MAX_PENDING = 4 * 1024 * 1024;
/** Consumers per socket. */
export const SOCKET_MAX_CLIENTS = 32;

export interface SinkCounters { written: number; shed: number; bytes: number; errors: number }

/**
 * Append-only file with reopen(): after `mv eve.json eve.json.1`, reopen() closes the old
 * descriptor (after the writes queued to it) and opens the path again, creating a new file.
 */
export class LineFile {
  private fd: number | null = null;
  private queue: Buffer[] = [];
  private pending = 0;
  private writing = false;
  private reopenRequested = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  readonly counters: SinkCounters = { written: 0, shed: 0, bytes: 0, errors: 0 };
  lastError: string | null = null;

  constructor(readonly file: string, readonly maxPending = FILE_MAX_PENDING, readonly mode = 0o640) {
    this.fd = fs.openSync(file, 'a', mode);
  }

  /** Queue one record (caller includes the newline). Never blocks; false = shed. */
  write(rec: string | Buffer): boolean {
    const b = typeof rec === 'string' ? Buffer.from(rec) : rec;
    if (this.closed || this.pending + b.length > this.maxPending) { this.counters.shed++; return false; }
    this.queue.push(b);
    this.pending += b.length;
    if (!this.writing) this.kick();
    return true;
  }

  /** Reopen the path (SIGHUP). Records queued before the call go to the old file. */
  reopen(): Promise<void> {
    this.reopenRequested = true;
    if (!this.writing) this.kick();
    return this.idle();
  }

  /** Resolves when everything queued is written. */
  idle(): Promise<void> {
    if (!this.writing && this.queue.length === 0 && !this.reopenRequested) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
    if (this.fd !== null) { fs.closeSync(this.fd); this.fd = null; }
  }

  private kick(): void {
    this.writing = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 || this.reopenRequested) {
      if (this.queue.length > 0) {
        const batch = this.queue; this.queue = [];
        const buf = batch.length === 1 ? batch[0] : Buffer.concat(batch);
        try {
          let o = 0;
          while (o < buf.length) {
            const { bytesWritten } = await new Promise<{ bytesWritten: number }>((res, rej) =>
              fs.write(this.fd!, buf, o, buf.length - o, null, (err, n) => (err ? rej(err) : res({ bytesWritten: n }))));
            o += bytesWritten;
          }
          this.counters.written += batch.length;
          this.counters.bytes += buf.length;
        } catch (e) {
          this.counters.errors++; this.counters.shed += batch.length; this.lastError = (e as Error).message;
        }
        this.pending -= buf.length;
        continue;
      }
      // reopen: only between writes, so no record is split across files
      this.reopenRequested = false;
      try {
        const nfd = fs.openSync(this.file, 'a', this.mode);
        const old = this.fd; this.fd = nfd;
        if (old !== null) fs.closeSync(old);
      } catch (e) { this.counters.errors++; this.lastError = (e as Error).message; }
    }
    this.writing = false;
    const w = this.idleWaiters; this.idleWaiters = [];
    for (const f of w) f();
  }
}

/**
 * Unix stream socket server that fans records out to every connected consumer. A consumer that
 * does not read has up to `maxPending` bytes buffered; beyond that its records are dropped
 * (counted per sink in `shed`) until it catches up. Records are never split: a record is either
 * queued whole for a consumer or dropped whole for it.
 */
export class SocketFanout {
  private server: net.Server | null = null;
  private readonly clients = new Set<net.Socket>();
  readonly counters: SinkCounters & { clients: number; refused: number } = { written: 0, shed: 0, bytes: 0, errors: 0, clients: 0, refused: 0 };

  constructor(readonly socketPath: string, readonly maxPending = SOCKET_MAX_PENDING, readonly mode = 0o600) {}

  async start(): Promise<void> {
    try {
      const st = fs.lstatSync(this.socketPath);
      if (!st.isSocket()) throw new OpsConfigError(`${this.socketPath} exists and is not a socket`);
      fs.unlinkSync(this.socketPath); // ours from a previous run (the runner holds a pid lock)
    } catch (e) { if (e instanceof OpsConfigError) throw e; }
    fs.mkdirSync(path.dirname(this.socketPath), { recursive: true, mode: 0o700 });
    const s = net.createServer((c) => {
      if (this.clients.size >= SOCKET_MAX_CLIENTS) { this.counters.refused++; c.destroy(); return; }
      this.clients.add(c);
      this.counters.clients = this.clients.size;
      c.on('error', () => { /* consumer went away */ });
      c.on('close', () => { this.clients.delete(c); this.counters.clients = this.clients.size; });
      c.on('data', () => { /* consumers do not talk; ignore */ });
    });
    await new Promise<void>((res, rej) => { s.once('error', rej); s.listen(this.socketPath, () => res()); });
    fs.chmodSync(this.socketPath, this.mode);
    this.server = s;
  }

  /** Number of connected consumers. */
  get clientCount(): number { return this.clients.size; }

  /** Send one record to every consumer. Never blocks. */
  write(rec: Buffer | Uint8Array): void {
    for (const c of this.clients) {
      if (c.writableLength + rec.length > this.maxPending) { this.counters.shed++; continue; }
      c.write(rec);
      this.counters.written++;
      this.counters.bytes += rec.length;
    }
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.end();
    const s = this.server; this.server = null;
    if (s) await new Promise<void>((r) => { for (const c of this.clients) c.destroy(); s.close(() => r()); });
  }
}

/** EVE JSON lines to a unix socket: formatted lines (no newline) in, one line per record out. */
export class EveSocketSink {
  readonly fanout: SocketFanout;
  constructor(socketPath: string, maxPending = SOCKET_MAX_PENDING) { this.fanout = new SocketFanout(socketPath, maxPending); }
  start(): Promise<void> { return this.fanout.start(); }
  writeLine(line: string): void { if (this.fanout.clientCount > 0) this.fanout.write(Buffer.from(line + '\n')); }
  close(): Promise<void> { return this.fanout.close(); }
}
