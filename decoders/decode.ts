/**
 * Decoder entry point: decode one captured packet into a reused PacketView.
 *
 *   const v = new PacketView(); const ctx = new DecodeContext(CSUM_ALL, new Reassembler());
 *   for each packet: decodePacket(v, buf, off, caplen, wirelen, link, tsSec, tsNsec, ctx);
 *
 * Never throws on packet bytes (malformed input becomes decode events), allocates nothing per
 * packet (fragments excepted, see frag.ts). The view's offsets index `v.buf`, which is `buf`
 * (owned by the caller, e.g. the batch: valid until the batch completes) or, when this packet
 * completed an IP datagram, the reassembler's scratch buffer (valid until the next call).
 *
 * Batch callers (src/engine) read the descriptor words themselves (decoders import nothing from
 * src/); for inline packets flagged F_CSUM_NOT_READY they clear CSUM_L4 in ctx.checksums for
 * that call, since offloaded checksums are partial.
 */
import { PacketView } from './packet';
import { DecodeContext, LINK_TABLE, MAX_LINKTYPE } from './dispatch';
import { EV } from './events';
import './registry';

export { DecodeContext, CSUM_IPV4, CSUM_L4, CSUM_ALL } from './dispatch';

export function decodePacket(v: PacketView, buf: Uint8Array, off: number, caplen: number, wirelen: number, link: number,
                             tsSec: number, tsNsec: number, ctx: DecodeContext): void {
  v.reset();
  v.buf = buf;
  v.off = off;
  v.caplen = caplen;
  v.wirelen = wirelen;
  v.link = link;
  v.tsSec = tsSec;
  v.tsNsec = tsNsec;
  ctx.nowSec = tsSec + tsNsec / 1e9;
  // clamp the end to the buffer: a bad descriptor must not make offsets point past the bytes
  let end = off + caplen;
  if (end > buf.length) end = buf.length;
  if (link >= 0 && link < MAX_LINKTYPE) LINK_TABLE[link](v, buf, off, end, ctx);
  else v.addEvent(EV['link.unsupported']);
}
