/**
 * Host tags (issue 4, "State"): a tag on an address with an expiry, shared by every rule and
 * every flow of the worker that holds it.
 *
 *   host(src).tag("scanner", expire = 10m)    sets the tag on the packet's source address (or
 *                                             `dst`), expiring `expire` after this packet's time;
 *                                             always true, like flow.tag (re-tagging restarts the
 *                                             expiry)
 *   host(src).has("scanner")                  true while the tag is set on the source (or `dst`)
 *                                             and not expired at this packet's time
 *
 * They compile to Op.HOST_TAG / Op.HOST_HAS (bytecode.ts) and reach the engine through the
 * optional FieldSource.hostTag / hostHas callbacks (runtime.ts); the state lives in the
 * operations runtime (src/ops/host-tags.ts, one table per worker, bounded, LRU).
 */
/** `side` operand: which address of the packet. */
export const HOST_SRC = 0;
export const HOST_DST = 1;
export const HOST_SIDES = ['src', 'dst'];
/** Longest accepted `expire` (E017 beyond): a week. */
export const HOST_TAG_MAX_EXPIRE_MS = 7 * 86_400_000;

/** Documentation rows (registry.ts SPECIAL_KEYWORDS). */
export const HOST_SPECIAL: { name: string; doc: string }[] = [
  { name: 'host(src|dst).tag("x", expire = DURATION)', doc: 'sets tag x on the packet\'s source (destination) address until `expire` after the packet\'s time (replay: capture time; inline: wall clock); always true; re-tagging restarts the expiry; per worker, bounded (LRU)' },
  { name: 'host(src|dst).has("x")', doc: 'the packet\'s source (destination) address carries tag x, not expired at the packet\'s time (IPv4 and IPv6)' },
];
