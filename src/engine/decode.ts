/**
 * The decoder entry point as the engine sees it: decoders/decode.ts decodePacket() fills a
 * reused PacketView. This file only binds it (one import to change if the entry moves) and
 * builds the per-engine DecodeContext (checksum switches + IP fragment reassembler).
 */
import { PacketView } from '../../decoders/packet';
import { decodePacket } from '../../decoders/decode';
import { DecodeContext, CSUM_ALL as D_CSUM_ALL, CSUM_L4 as D_CSUM_L4 } from '../../decoders/dispatch';
import { Reassembler } from '../../decoders/frag';

export { DecodeContext };
// Data properties, not `export { X }` re-exports: tsc compiles a re-export to a getter, and the
// pipeline reads CSUM_L4 per packet (offloaded checksums inline): a getter call each time
// (~100 ns per packet in bench/inline's profile when it was not inlined).
export const CSUM_ALL: number = D_CSUM_ALL;
export const CSUM_L4: number = D_CSUM_L4;

/** Build a decode context: checksums verified or not, IP fragment reassembly on. */
export function newDecodeContext(checksums: boolean): DecodeContext {
  return new DecodeContext(checksums ? CSUM_ALL : 0, new Reassembler());
}

/** Decode one packet in place into `view`. Never throws on traffic. */
export function decodeInto(view: PacketView, ctx: DecodeContext, buf: Uint8Array, off: number, caplen: number,
  wirelen: number, link: number, tsSec: number, tsNsec: number): void {
  decodePacket(view, buf, off, caplen, wirelen, link, tsSec, tsNsec, ctx);
}
