/**
 * PacketBatch: the one shape that crosses the native/JS and thread seams.
 *
 * A batch is a set of packets as views over one byte buffer (`data`) plus a descriptor table
 * (`desc`, DESC_STRIDE u32 words per packet). Nothing is allocated per packet.
 *
 * Ownership: the *source* owns `data` and `desc`. A batch and every view into it are valid only
 * until the consumer calls `source.complete(batch)` (inline: the verdicts are sent then) or asks
 * for the next batch, whichever comes first. Anything that must outlive the batch (stream
 * reassembly, alert text) is copied by whoever keeps it.
 *
 * Offline readers point `data` straight at the file's bytes (zero copy: a chunk of the file
 * read by the streaming reader), so `desc[OFF]` is an offset into that chunk.
 */
export const DESC_STRIDE = 12;
/** Word indexes inside one descriptor. */
export const D_OFF = 0;        // offset of the packet's first byte (link header) in `data`
export const D_CAPLEN = 1;     // captured bytes present in `data`
export const D_WIRELEN = 2;    // original length on the wire
export const D_TS_SEC = 3;     // timestamp, seconds since epoch (u32)
export const D_TS_NSEC = 4;    // timestamp, nanoseconds within the second
export const D_LINK = 5;       // link type (LINKTYPE_* numbers, see src/io/linktypes.ts)
export const D_ID = 6;         // inline: NFQUEUE packet id. offline: ordinal in the file (1-based, low 32 bits)
export const D_MARK = 7;       // inline: skb mark. offline: 0
export const D_IFINDEX = 8;    // inline: input interface index (0 = none). offline: pcapng interface id
export const D_HOOK = 9;       // inline: netfilter hook number. offline: 0
export const D_QUEUE = 10;     // inline: queue number. offline: 0
export const D_FLAGS = 11;     // bit flags, see F_*

export const F_CSUM_NOT_READY = 1; // inline: NFQA_SKB_CSUMNOTREADY, checksums may be partial (GSO)
export const F_GSO = 2;            // inline: NFQA_SKB_GSO, packet larger than MTU
export const F_OUTBOUND = 4;       // inline: hook is OUTPUT/POSTROUTING

/** Verdict words, two u32 per packet in `verdict`: [kind, mark]. */
export const V_ACCEPT = 1;
export const V_DROP = 0;
export const V_REPEAT = 4;
export const V_QUEUE = 3;    // mark word then carries the target queue number in its high 16 bits
/** inline: the kernel answers for us (TCP RST / ICMP unreachable): sent as NF_REPEAT with the reject
 *  mark bit, which the REJECT rule of `quell iptables` matches (docs/inline.md). Offline: a drop. */
export const V_REJECT = 5;
/** Low byte of the kind word is the kind; the flags below may be OR'd into it. */
export const V_KIND_MASK = 0xff;
/** The packet's bytes in `data` were rewritten in place, same length: inline sends them back with
 *  the IPv4 header and TCP/UDP checksums recomputed. Refused (counted) for GSO/truncated packets. */
export const V_F_PAYLOAD = 0x100;
/** The accept/drop decides the whole flow: inline keeps the rest of the flow in the kernel
 *  (connmark accept-flow / drop-flow bits, see docs/inline.md). */
export const V_F_FLOW = 0x200;
/** Set the skb mark to the mark word even when it is 0 (a nonzero mark word is always applied). */
export const V_F_MARK = 0x400;

export interface PacketBatch {
  /** Packet bytes. Owned by the source; valid until complete()/next(). */
  data: Uint8Array;
  /** count × DESC_STRIDE descriptor words. */
  desc: Uint32Array;
  /** count × 2: verdict kind, mark. Written by the pipeline. */
  verdict: Uint32Array;
  count: number;
}

/** Read u64-ish ordinal helpers are not needed: ordinals past 2^32 wrap in D_ID; readers keep a JS number too. */
export interface PacketSource {
  /** The next batch of at most `max` packets, or null at end of input. */
  next(max: number): Promise<PacketBatch | null>;
  /** The consumer is done with the batch (verdicts written). */
  complete(batch: PacketBatch): void;
  close(): Promise<void>;
}
