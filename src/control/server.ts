/**
 * Control API: HTTP/1.1 + JSON, on a unix socket (mode 0600, in a 0700 directory it creates) by
 * default, and optionally on TCP, which requires a bearer token (refused without one).
 *
 * Routes (docs/api.md):
 *   GET    /v1/health                         {"ok":true}
 *   GET    /v1/sets                           {"sets":[SetInfo]}
 *   GET    /v1/sets/NAME?limit=N              {"set":NAME,"entries":[SetEntry]}
 *   POST   /v1/sets/NAME/entries              body {"addr":"192.0.2.1","timeout":"10m"|600|null}
 *   DELETE /v1/sets/NAME/entries?addr=ADDR
 *   POST   /v1/sets/reload                    reload set files (errors keep old networks)
 *   GET    /v1/rules                          {"rules":[RuleInfo]}
 *   POST   /v1/rules/reload                   200 {"ok":true,...} | 422 error with diagnostics
 *   GET    /v1/stats
 * Errors: {"error":{"code":"QUELL_E_API_...","message":"..."}} with a 4xx/5xx status.
 *
 * Validation: bodies only on POST, at most MAX_BODY bytes (413), content-type application/json
 * (415), JSON objects only, fields checked by hand (400) and unknown fields rejected.
 */
import * as http from 'http';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { timingSafeEqual, createHash } from 'crypto';
import { ApiError, ControlHandler } from './handler';
import { parseDuration } from '../ops/bans';
import { OpsConfigError } from '../ops/errors';

export const DEFAULT_SOCKET = '/run/quell/quell.sock';
/** Largest request body accepted. */
export const MAX_BODY = 64 * 1024;
/** Largest number of entries returned by a set listing. */
export const MAX_LIST = 100_000;
/** Longest timeout accepted for a set entry (a year): longer is a typo, use permanent. */
export const MAX_TIMEOUT_MS = 366 * 86_400_000;
/** Requests per connection before the server closes it; idle timeout. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface ControlServerOptions {
  /** Unix socket path (default DEFAULT_SOCKET); null = no unix socket. */
  socket?: string | null;
  /** Optional TCP listener "host:port" (port 0 = any); requires `token`. */
  tcp?: { host: string; port: number } | null;
  token?: string | null;
}

export interface Route { method: string; path: string }

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body) + '\n';
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(s));
  res.setHeader('cache-control', 'no-store');
  res.end(s);
}
function sendError(res: http.ServerResponse, e: ApiError): void {
  const err: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.details !== undefined) err.details = e.details;
  send(res, e.status, { error: err });
}

async function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const ct = String(req.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(ct)) throw new ApiError(415, 'QUELL_E_API_MEDIA_TYPE', 'content-type must be application/json');
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY) throw new ApiError(413, 'QUELL_E_API_TOO_LARGE', `body larger than MAX_BODY (${MAX_BODY} bytes)`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw new ApiError(413, 'QUELL_E_API_TOO_LARGE', `body larger than MAX_BODY (${MAX_BODY} bytes)`);
    chunks.push(c as Buffer);
  }
  let v: unknown;
  try { v = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch (e) {
    throw new ApiError(400, 'QUELL_E_API_BAD_JSON', `body is not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiError(400, 'QUELL_E_API_BAD_REQUEST', 'body must be a JSON object');
  return v as Record<string, unknown>;
}

function onlyFields(body: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(body)) if (!allowed.includes(k)) throw new ApiError(400, 'QUELL_E_API_BAD_REQUEST', `unknown field ${JSON.stringify(k)} (allowed: ${allowed.join(', ')})`);
}

/** "10m" | seconds (number) | null -> ms or null (permanent). */
export function parseTimeout(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  let ms: number;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) throw new ApiError(400, 'QUELL_E_API_BAD_REQUEST', 'timeout must be a positive number of seconds or a duration such as "10m"');
    ms = v * 1000;
  } else if (typeof v === 'string') {
    ms = parseDuration(v);
    if (ms <= 0) throw new ApiError(400, 'QUELL_E_API_BAD_REQUEST', `bad timeout ${JSON.stringify(v)} (use e.g. "30s", "10m", "2h", "1d")`);
  } else throw new ApiError(400, 'QUELL_E_API_BAD_REQUEST', 'timeout must be a string duration, a number of seconds, or null');
  if (ms > MAX_TIMEOUT_MS) throw new ApiError(400, 'QUELL_E_API_BAD_REQUEST', `timeout longer than MAX_TIMEOUT_MS (${MAX_TIMEOUT_MS / 86_400_000} days): omit it for a permanent entry`);
  return ms;
}

const SET_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export class ControlServer {
  private servers: http.Server[] = [];
  /** Requests served / rejected (stats). */
  requests = 0;
  errors = 0;
  socketPath: string | null = null;
  tcpPort = 0;
  private readonly tokenHash: Buffer | null;

  constructor(readonly handler: ControlHandler, readonly opts: ControlServerOptions = {}) {
    if (opts.tcp && !opts.token) throw new OpsConfigError('the TCP control listener needs a bearer token (--control-token-file): refusing to start it without one');
    if (opts.token !== undefined && opts.token !== null && opts.token.length < 16) throw new OpsConfigError('control token must be at least 16 characters');
    this.tokenHash = opts.token ? createHash('sha256').update(opts.token).digest() : null;
  }

  async start(): Promise<void> {
    const sock = this.opts.socket === undefined ? DEFAULT_SOCKET : this.opts.socket;
    if (sock) {
      const dir = path.dirname(sock);
      if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      await removeStaleSocket(sock);
      const s = this.makeServer(false);
      // listen under a restrictive umask-equivalent: chmod right after bind, inside a 0700
      // directory we created (or the operator's directory), so no other user can connect between.
      await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(sock, () => resolve()); });
      fs.chmodSync(sock, 0o600);
      this.socketPath = sock;
      this.servers.push(s);
    }
    if (this.opts.tcp) {
      const s = this.makeServer(true);
      await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(this.opts.tcp!.port, this.opts.tcp!.host, () => resolve()); });
      this.tcpPort = (s.address() as net.AddressInfo).port;
      this.servers.push(s);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
    this.servers = [];
    if (this.socketPath) { try { fs.unlinkSync(this.socketPath); } catch { /* already gone */ } this.socketPath = null; }
  }

  private makeServer(tcp: boolean): http.Server {
    const s = http.createServer((req, res) => { void this.handle(req, res, tcp); });
    s.requestTimeout = REQUEST_TIMEOUT_MS;
    s.headersTimeout = REQUEST_TIMEOUT_MS;
    s.maxHeadersCount = 64;
    return s;
  }

  private authorized(req: http.IncomingMessage): boolean {
    if (!this.tokenHash) return false;
    const h = String(req.headers.authorization ?? '');
    const m = /^Bearer (\S+)$/.exec(h);
    if (!m) return false;
    // compare digests: constant time and independent of the token's length
    return timingSafeEqual(createHash('sha256').update(m[1]).digest(), this.tokenHash);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, tcp: boolean): Promise<void> {
    this.requests++;
    try {
      if (tcp && !this.authorized(req)) {
        res.setHeader('www-authenticate', 'Bearer');
        throw new ApiError(401, 'QUELL_E_API_UNAUTHORIZED', 'missing or wrong bearer token');
      }
      const url = new URL(req.url ?? '/', 'http://quell');
      const parts = url.pathname.split('/').filter((x) => x !== '').map((x) => decodeURIComponent(x));
      const method = req.method ?? 'GET';
      if (method !== 'POST' && req.headers['content-length'] && req.headers['content-length'] !== '0') {
        throw new ApiError(400, 'QUELL_E_API_BAD_REQUEST', `${method} takes no body`);
      }
      const h = this.handler;
      const route = (m: string, ...p: string[]) => method === m && parts.length === p.length && p.every((x, i) => x === '*' || x === parts[i]);
      const known = parts[0] === 'v1';
      if (!known) throw new ApiError(404, 'QUELL_E_API_NOT_FOUND', `no route ${url.pathname} (API paths start with /v1/)`);

      if (route('GET', 'v1', 'health')) return send(res, 200, { ok: true });
      if (route('GET', 'v1', 'sets')) return send(res, 200, { sets: h.listSets() });
      if (route('POST', 'v1', 'sets', 'reload')) { await readBody(req).then((b) => onlyFields(b, [])); return send(res, 200, { sets: h.reloadSets() }); }
      if (route('GET', 'v1', 'sets', '*')) {
        const name = checkSetName(parts[2]);
        const ls = url.searchParams.get('limit');
        let limit = 1000;
        if (ls !== null) {
          if (!/^[0-9]{1,7}$/.test(ls) || Number(ls) < 1 || Number(ls) > MAX_LIST) throw new ApiError(400, 'QUELL_E_API_BAD_REQUEST', `limit must be 1..${MAX_LIST}`);
          limit = Number(ls);
        }
        return send(res, 200, { set: name, entries: h.listEntries(name, limit) });
      }
      if (route('POST', 'v1', 'sets', '*', 'entries')) {
        const name = checkSetName(parts[2]);
        const body = await readBody(req);
        onlyFields(body, ['addr', 'timeout']);
        if (typeof body.addr !== 'string' || body.addr.length === 0 || body.addr.length > 64) throw new ApiError(400, 'QUELL_E_API_BAD_REQUEST', 'addr must be a string: an IPv4/IPv6 address or network');
        const ttl = parseTimeout(body.timeout);
        return send(res, 201, h.addEntry(name, body.addr, ttl));
      }
      if (route('DELETE', 'v1', 'sets', '*', 'entries')) {
        const name = checkSetName(parts[2]);
        const addr = url.searchParams.get('addr');
        if (!addr || addr.length > 64) throw new ApiError(400, 'QUELL_E_API_BAD_REQUEST', 'query parameter addr is required');
        const r = h.removeEntry(name, addr);
        if (!r.removed) throw new ApiError(404, 'QUELL_E_API_NO_ENTRY', `${addr} is not an entry of set ${name}`);
        return send(res, 200, r);
      }
      if (route('GET', 'v1', 'rules')) return send(res, 200, { rules: h.listRules() });
      if (route('POST', 'v1', 'rules', 'reload')) {
        await readBody(req).then((b) => onlyFields(b, []));
        const r = await h.reloadRules();
        if (!r.ok) throw new ApiError(422, 'QUELL_E_API_RELOAD_FAILED', `rules not reloaded (${r.diagnostics.length} diagnostics); the previous rules stay active`, { diagnostics: r.diagnostics });
        return send(res, 200, r);
      }
      if (route('GET', 'v1', 'stats')) return send(res, 200, h.stats());
      const anyMethod = ['GET', 'POST', 'DELETE'].some((m) => m !== method && (
        (parts.length === 2 && ['health', 'sets', 'rules', 'stats'].includes(parts[1])) ||
        (parts.length === 3 && parts[1] === 'sets') || (parts.length === 4 && parts[1] === 'sets' && parts[3] === 'entries') ||
        (parts.length === 3 && parts[1] === 'rules' && parts[2] === 'reload')));
      if (anyMethod) throw new ApiError(405, 'QUELL_E_API_METHOD', `method ${method} not allowed on ${url.pathname}`);
      throw new ApiError(404, 'QUELL_E_API_NOT_FOUND', `no route ${method} ${url.pathname}`);
    } catch (e) {
      this.errors++;
      if (e instanceof ApiError) sendError(res, e);
      else if (e instanceof URIError) sendError(res, new ApiError(400, 'QUELL_E_API_BAD_REQUEST', 'bad percent-encoding in the path'));
      else sendError(res, new ApiError(500, 'QUELL_E_API_INTERNAL', (e as Error).message ?? String(e)));
    }
  }
}

function checkSetName(n: string): string {
  if (!SET_NAME.test(n)) throw new ApiError(400, 'QUELL_E_API_BAD_REQUEST', `bad set name ${JSON.stringify(n)}`);
  return n;
}

/** Remove a leftover socket file from a previous run; refuse if something still listens there. */
async function removeStaleSocket(p: string): Promise<void> {
  let st: fs.Stats;
  try { st = fs.lstatSync(p); } catch { return; }
  if (!st.isSocket()) throw new OpsConfigError(`${p} exists and is not a socket: refusing to replace it`);
  const live = await new Promise<boolean>((resolve) => {
    const c = net.connect(p);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
  if (live) throw new OpsConfigError(`${p}: another quell is listening there`);
  fs.unlinkSync(p);
}
