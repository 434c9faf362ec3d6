/**
 * Client of the control API (used by `quell ctl` and tests). One request per call, on the unix
 * socket or on TCP with a bearer token. Responses are parsed JSON; API errors are not thrown
 * (the caller looks at `status`), transport errors are (ControlConnectError).
 */
import * as http from 'http';
import { QuellError } from '../errors';

export const CLIENT_TIMEOUT_MS = 30_000;
export const MAX_RESPONSE = 64 * 1024 * 1024;

export class ControlConnectError extends QuellError {
  constructor(where: string, cause: string) { super('QUELL_E_CONTROL_CONNECT', `cannot reach the control API at ${where}: ${cause}`); }
}

export type ControlTarget = { socket: string } | { host: string; port: number; token: string };

export interface ControlResponse { status: number; body: unknown }

export class ControlClient {
  constructor(readonly target: ControlTarget) {}

  private where(): string { return 'socket' in this.target ? this.target.socket : `${this.target.host}:${this.target.port}`; }

  request(method: string, pathAndQuery: string, body?: unknown): Promise<ControlResponse> {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (data) { headers['content-type'] = 'application/json'; headers['content-length'] = data.length; }
    const opts: http.RequestOptions = { method, path: pathAndQuery, headers, agent: false };
    if ('socket' in this.target) opts.socketPath = this.target.socket;
    else { opts.host = this.target.host; opts.port = this.target.port; headers.authorization = `Bearer ${this.target.token}`; }
    return new Promise((resolve, reject) => {
      const req = http.request(opts, (res) => {
        const chunks: Buffer[] = []; let n = 0;
        res.on('data', (c: Buffer) => { n += c.length; if (n > MAX_RESPONSE) { req.destroy(new Error('response too large')); return; } chunks.push(c); });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try { parsed = JSON.parse(text); } catch { /* leave text */ }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', (e) => reject(new ControlConnectError(this.where(), e.message)));
      });
      req.setTimeout(CLIENT_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${CLIENT_TIMEOUT_MS} ms`)));
      req.on('error', (e) => reject(new ControlConnectError(this.where(), (e as NodeJS.ErrnoException).code ?? e.message)));
      req.end(data ?? undefined);
    });
  }

  sets() { return this.request('GET', '/v1/sets'); }
  entries(set: string, limit?: number) { return this.request('GET', `/v1/sets/${encodeURIComponent(set)}${limit ? `?limit=${limit}` : ''}`); }
  add(set: string, addr: string, timeout?: string | number | null) {
    return this.request('POST', `/v1/sets/${encodeURIComponent(set)}/entries`, timeout === undefined ? { addr } : { addr, timeout });
  }
  del(set: string, addr: string) { return this.request('DELETE', `/v1/sets/${encodeURIComponent(set)}/entries?addr=${encodeURIComponent(addr)}`); }
  reloadSets() { return this.request('POST', '/v1/sets/reload', {}); }
  rules() { return this.request('GET', '/v1/rules'); }
  reload() { return this.request('POST', '/v1/rules/reload', {}); }
  stats() { return this.request('GET', '/v1/stats'); }
}
