/**
 * Protobuf event stream for high-rate consumers: engine events encoded with the shipped
 * src/outputs/quell-events.proto (message quell.events.v1.Event), length-delimited (varint length
 * + message), fanned out on a unix stream socket (SocketFanout: non-blocking, slow consumers
 * shed and counted).
 *
 * The .proto is loaded once at start with protobufjs (reflection; no generated code to keep in
 * sync). Encoding allocates per event: output time, off the verdict path (events leave the engine
 * once per batch).
 */
import * as path from 'path';
import * as fs from 'fs';
import * as protobuf from 'protobufjs';
import { SocketFanout, SOCKET_MAX_PENDING } from './sinks';
import { eventJson } from '../ops/actions';

/** Where the shipped .proto lives (source tree; the same path from dist/ and from src/). */
export function protoPath(): string {
  const candidates = [
    path.resolve(__dirname, 'quell-events.proto'),
    path.resolve(__dirname, '..', '..', '..', 'src', 'outputs', 'quell-events.proto'),
  ];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  return candidates[1];
}

let cached: protobuf.Type | null = null;
/** The Event type from the shipped .proto. */
export function eventType(): protobuf.Type {
  if (!cached) cached = protobuf.loadSync(protoPath()).lookupType('quell.events.v1.Event');
  return cached;
}

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'IPv6-ICMP', 47: 'GRE', 132: 'SCTP' };
const HEADER = new Set(['event_type', 'tsNs', 'flow_id', 'src_ip', 'src_port', 'dest_ip', 'dest_port', 'proto', 'app_proto', 'alert',
  'ord', 'seq', 'cls', 'kEnd', 'kStart', 'kId']);
const FLOW_FIELDS = ['pkts_toserver', 'pkts_toclient', 'bytes_toserver', 'bytes_toclient', 'startUs', 'endUs', 'state', 'reason'];

/** Engine event -> plain object shaped like quell.events.v1.Event. */
export function toProtoObject(ev: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {
    tsNs: typeof ev.tsNs === 'bigint' ? ev.tsNs.toString() : Number(ev.tsNs ?? 0),
    eventType: String(ev.event_type ?? ''),
  };
  if (ev.flow_id !== undefined) o.flowId = String(ev.flow_id);
  if (typeof ev.src_ip === 'string') o.srcIp = ev.src_ip;
  if (typeof ev.src_port === 'number') o.srcPort = ev.src_port;
  if (typeof ev.dest_ip === 'string') o.destIp = ev.dest_ip;
  if (typeof ev.dest_port === 'number') o.destPort = ev.dest_port;
  if (ev.proto !== undefined) o.proto = typeof ev.proto === 'number' ? (PROTO_NAMES[ev.proto] ?? String(ev.proto)) : String(ev.proto);
  const app = ev.app_proto ?? ev.app;
  if (typeof app === 'string') o.appProto = app;
  if (ev.alert && typeof ev.alert === 'object') {
    const a = ev.alert as Record<string, unknown>;
    o.alert = {
      signatureId: Number(a.signature_id ?? a.sid ?? 0), rev: Number(a.rev ?? 0), signature: String(a.signature ?? ''),
      action: String(a.action ?? ''), category: String(a.category ?? ''), severity: Number(a.severity ?? 0),
    };
  }
  if (ev.event_type === 'flow') {
    o.flow = {
      pktsToserver: Number(ev.pkts_toserver ?? 0), pktsToclient: Number(ev.pkts_toclient ?? 0),
      bytesToserver: Number(ev.bytes_toserver ?? 0), bytesToclient: Number(ev.bytes_toclient ?? 0),
      startUs: Number(ev.startUs ?? 0), endUs: Number(ev.endUs ?? 0), state: String(ev.state ?? ''), reason: String(ev.reason ?? ''),
      alerted: ev.alerted === true,
    };
  }
  const rest: Record<string, unknown> = {};
  let n = 0;
  for (const k of Object.keys(ev)) {
    if (HEADER.has(k) || (ev.event_type === 'flow' && FLOW_FIELDS.includes(k)) || k === 'app') continue;
    rest[k] = ev[k]; n++;
  }
  if (n > 0) o.json = eventJson(rest);
  return o;
}

/** One length-delimited frame for an engine event. */
export function encodeEventDelimited(ev: Record<string, unknown>): Uint8Array {
  const T = eventType();
  return T.encodeDelimited(T.fromObject(toProtoObject(ev))).finish();
}

export class ProtoStreamSink {
  readonly fanout: SocketFanout;
  encodeErrors = 0;
  constructor(socketPath: string, maxPending = SOCKET_MAX_PENDING) {
    eventType(); // load the .proto now: a missing/broken file fails at start, not on the first event
    this.fanout = new SocketFanout(socketPath, maxPending);
  }
  start(): Promise<void> { return this.fanout.start(); }
  /** Encode and send events (skips encoding when nobody listens). */
  write(events: readonly Record<string, unknown>[]): void {
    if (this.fanout.clientCount === 0) return;
    for (const ev of events) {
      let frame: Uint8Array;
      try { frame = encodeEventDelimited(ev); } catch { this.encodeErrors++; continue; }
      this.fanout.write(frame);
    }
  }
  close(): Promise<void> { return this.fanout.close(); }
}
