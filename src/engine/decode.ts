/**
 * The decoder entry point as the engine sees it: decoders/decode.ts decodePacket() fills a
 * reused PacketView. This file only binds it (one import to change if the entry moves) and
 * builds the per-engine DecodeContext (checksum switches + IP fragment reassembler).
 */
import { PacketView } from '../../decoders/packet';
import { decodePacket, DecodeContext, CSUM_ALL, CSUM_L4 } from '../../decoders/decode';
import { Reassembler } from '../../decoders/frag';

export { DecodeContext, CSUM_ALL, CSUM_L4 };

/** Build a decode context: checksums verified or not, IP fragment reassembly on. */
export function newDecodeContext(checksums: boolean): DecodeContext {
  return new DecodeContext(checksums ? CSUM_ALL : 0, new Reassembler());
}

/** Decode one packet in place into `view`. Never throws on traffic. */
export function decodeInto(view: PacketView, ctx: DecodeContext, buf: Uint8Array, off: number, caplen: number,
  wirelen: number, link: number, tsSec: number, tsNsec: number): void {
  decodePacket(view, buf, off, caplen, wirelen, link, tsSec, tsNsec, ctx);
}
