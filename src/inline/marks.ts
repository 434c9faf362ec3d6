/**
 * The skb mark / connmark bit layout shared by `quell run` (verdicts) and `quell iptables`
 * (the rules that act on those bits). Documented in docs/inline.md.
 *
 * Three bits at `shift` (default 24, i.e. 0x07000000) so they stay clear of the low bits that
 * routing policies and other tools usually use:
 *   shift+0  ACCEPT_FLOW  connmark: the flow is decided "accept": later packets are accepted in the kernel
 *   shift+1  DROP_FLOW    connmark: the flow is decided "drop": later packets are dropped in the kernel
 *   shift+2  REJECT       packet mark only: the REJECT rule answers this packet (TCP RST / ICMP unreachable)
 * Quell sets them with a REPEAT verdict carrying the mark (the packet re-enters the chain, whose
 * first rules act on the bits before the NFQUEUE rule), never touching the other mark bits.
 */
export const DEFAULT_MARK_SHIFT = 24;

export interface MarkLayout {
  shift: number;
  acceptFlow: number;
  dropFlow: number;
  reject: number;
  /** all quell bits */
  mask: number;
  /** the bits saved in / restored from the connmark */
  flowMask: number;
}

export function markLayout(shift = DEFAULT_MARK_SHIFT): MarkLayout {
  if (!Number.isInteger(shift) || shift < 0 || shift > 29) throw new RangeError(`mark shift must be 0..29, got ${shift}`);
  const acceptFlow = (1 << shift) >>> 0;
  const dropFlow = (2 << shift) >>> 0;
  const reject = (4 << shift) >>> 0;
  return { shift, acceptFlow, dropFlow, reject, mask: (acceptFlow | dropFlow | reject) >>> 0, flowMask: (acceptFlow | dropFlow) >>> 0 };
}

export function hex(n: number): string { return '0x' + (n >>> 0).toString(16).padStart(8, '0'); }
