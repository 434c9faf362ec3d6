/**
 * SQLite schema and row mapping for the sqlite output (docs/sqlite.md). Shared by the sink (main
 * thread: maps events to rows) and the writer worker (owns the database).
 */

export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
  id           INTEGER PRIMARY KEY,
  ts           TEXT    NOT NULL,  -- ISO 8601 UTC, microseconds
  ts_us        INTEGER NOT NULL,  -- packet time, us since the epoch
  event_type   TEXT    NOT NULL,  -- 'alert' or 'drop'
  flow_id      INTEGER,
  src_ip       TEXT, src_port INTEGER, dest_ip TEXT, dest_port INTEGER,
  proto        TEXT,
  app_proto    TEXT,
  sid          INTEGER,
  rev          INTEGER,
  signature    TEXT,
  action       TEXT,
  category     TEXT,
  severity     INTEGER,
  json         TEXT    NOT NULL   -- the whole event as JSON
);
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts_us);
CREATE INDEX IF NOT EXISTS alerts_sid ON alerts(sid, ts_us);
CREATE INDEX IF NOT EXISTS alerts_src ON alerts(src_ip, ts_us);
CREATE TABLE IF NOT EXISTS flows (
  id             INTEGER PRIMARY KEY,
  flow_id        INTEGER,
  start_ts       TEXT, end_ts TEXT,
  start_us       INTEGER, end_us INTEGER,
  src_ip         TEXT, src_port INTEGER, dest_ip TEXT, dest_port INTEGER,
  proto          TEXT,
  app_proto      TEXT,
  pkts_toserver  INTEGER, pkts_toclient INTEGER,
  bytes_toserver INTEGER, bytes_toclient INTEGER,
  state          TEXT, reason TEXT,
  alerted        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS flows_start ON flows(start_us);
CREATE INDEX IF NOT EXISTS flows_flow ON flows(flow_id);
CREATE INDEX IF NOT EXISTS flows_src ON flows(src_ip, start_us);
`;

/** Row tuples in column order (no objects per row crossing the thread boundary). */
export type AlertRow = [string, number, string, number | null, string | null, number | null, string | null, number | null,
  string | null, string | null, number | null, number | null, string | null, string | null, string | null, number | null, string];
export type FlowRow = [number | null, string, string, number, number, string | null, number | null, string | null, number | null,
  string | null, string | null, number, number, number, number, string, string, number];

export const INSERT_ALERT = `INSERT INTO alerts (ts, ts_us, event_type, flow_id, src_ip, src_port, dest_ip, dest_port, proto, app_proto,
  sid, rev, signature, action, category, severity, json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`;
export const INSERT_FLOW = `INSERT INTO flows (flow_id, start_ts, end_ts, start_us, end_us, src_ip, src_port, dest_ip, dest_port, proto,
  app_proto, pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient, state, reason, alerted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`;

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'IPv6-ICMP', 47: 'GRE', 132: 'SCTP' };
export function protoName(p: unknown): string | null {
  if (p === undefined || p === null) return null;
  return typeof p === 'number' ? (PROTO_NAMES[p] ?? String(p)) : String(p);
}
export function isoUs(us: number): string {
  const d = new Date(Math.floor(us / 1000)).toISOString();
  return `${d.slice(0, 19)}.${String(Math.floor(us) % 1_000_000).padStart(6, '0')}Z`;
}
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null);
const s = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));

export function alertRow(ev: Record<string, unknown>, json: string): AlertRow {
  const us = typeof ev.tsNs === 'bigint' ? Number(ev.tsNs / 1000n) : Number(ev.tsNs ?? 0) / 1000;
  const a = (ev.alert && typeof ev.alert === 'object' ? ev.alert : {}) as Record<string, unknown>;
  return [isoUs(us), us, String(ev.event_type), num(ev.flow_id), s(ev.src_ip), num(ev.src_port), s(ev.dest_ip), num(ev.dest_port),
    protoName(ev.proto), s(ev.app_proto ?? ev.app), num(a.signature_id ?? a.sid), num(a.rev), s(a.signature), s(a.action), s(a.category),
    num(a.severity), json];
}

export function flowRow(ev: Record<string, unknown>): FlowRow {
  const st = Number(ev.startUs ?? 0), en = Number(ev.endUs ?? st);
  return [num(ev.flow_id), isoUs(st), isoUs(en), st, en, s(ev.src_ip), num(ev.src_port), s(ev.dest_ip), num(ev.dest_port),
    protoName(ev.proto), s(ev.app_proto ?? ev.app), Number(ev.pkts_toserver ?? 0), Number(ev.pkts_toclient ?? 0),
    Number(ev.bytes_toserver ?? 0), Number(ev.bytes_toclient ?? 0), String(ev.state ?? ''), String(ev.reason ?? ''), ev.alerted ? 1 : 0];
}
