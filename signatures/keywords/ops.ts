/**
 * Operations keywords (issue 6): values computed by the operations runtime (src/ops WorkerOps)
 * rather than read from the packet. They compile to Op.RATE with a `by` code >= BY_SCAN_PORTS so
 * the existing FieldSource.rate(counter, by, windowMs) callback carries them (no new opcode, no
 * new FieldSource method): one counter id per call site, as for `count()`.
 *
 *  - time.hour / time.weekday / time.minute: the packet's timestamp (replay: capture time; inline:
 *    the wall clock) in the configured IANA zone (`--time-zone`), integer.
 *  - scan.ports(window = 10s): distinct destination ports of the packets from this packet's source
 *    that reached this call site within the window (ScanDetector), integer.
 *  - synflood.pending(window = 1s): SYNs without a completed handshake towards this packet's
 *    destination within the window (SynFloodDetector); defined on SYN packets only.
 */
/** `by` codes of Op.RATE beyond count()'s 0 src, 1 dst, 2 flow. */
export const BY_SCAN_PORTS = 3;
export const BY_SYN_PENDING = 4;
export const BY_TIME_HOUR = 5;
export const BY_TIME_WEEKDAY = 6;
export const BY_TIME_MINUTE = 7;
/** Names of every `by` code, for the disassembler. */
export const RATE_BY_NAMES = ['src', 'dst', 'flow', 'scan.ports', 'synflood.pending', 'time.hour', 'time.weekday', 'time.minute'];

/** Field-like keywords (no arguments), integer. */
export const OPS_FIELDS: { name: string; by: number; doc: string }[] = [
  { name: 'time.hour', by: BY_TIME_HOUR, doc: 'hour 0..23 of the packet\'s time (replay: capture time; inline: wall clock) in the `--time-zone` zone (default UTC), integer' },
  { name: 'time.weekday', by: BY_TIME_WEEKDAY, doc: 'weekday of the packet\'s time in the `--time-zone` zone: 0 = Sunday .. 6 = Saturday, integer' },
  { name: 'time.minute', by: BY_TIME_MINUTE, doc: 'minute 0..59 of the packet\'s time in the `--time-zone` zone, integer' },
];

/** Function keywords with one named argument `window = DURATION`, integer. */
export const OPS_FUNCS: { name: string; by: number; maxWindowMs: number; doc: string }[] = [
  { name: 'scan.ports', by: BY_SCAN_PORTS, maxWindowMs: 3_600_000, doc: 'distinct destination ports of the packets from this packet\'s source that reached this call within the window (linear counter, ~±10% up to ~1000 ports; put guards such as `tcp.flags == 0x02 and` before it), integer' },
  { name: 'synflood.pending', by: BY_SYN_PENDING, maxWindowMs: 3_600_000, doc: 'SYNs minus completed handshakes (pure ACKs) towards this packet\'s destination within the window, among the TCP packets that reached this call; defined on SYN packets only (write it first in the condition so ACKs reach it), integer' },
];

/** Documentation rows (registry.ts SPECIAL_KEYWORDS). */
export const OPS_SPECIAL: { name: string; doc: string }[] = [
  ...OPS_FIELDS.map((f) => ({ name: f.name, doc: f.doc })),
  ...OPS_FUNCS.map((f) => ({ name: `${f.name}(window = DURATION)`, doc: f.doc })),
];
