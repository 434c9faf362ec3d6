/**
 * `--pcap-drops FILE`: a pcap of the packets quell dropped, for operators to see what was blocked.
 *
 * Call `writeBatch(batch)` after the pipeline wrote the verdicts and BEFORE the batch is completed
 * (the packet bytes are the source's and are valid only until then; PcapWriter copies them into
 * its own buffer at once). Cost per dropped packet: one copy into the writer's buffer; the buffer
 * goes to disk in 1 MiB writes (PcapWriter.FLUSH_BYTES). Accepted packets cost one compare.
 *
 * One link type per file: inline NFQUEUE packets are raw IP (LINKTYPE_RAW); a packet of another
 * link type than the file's is counted in `skippedLinktype`, not written. The file is bounded by
 * `maxBytes` (PCAP_DROPS_MAX_BYTES): beyond it drops are counted in `skippedFull`.
 */
import { PacketBatch, DESC_STRIDE, D_LINK, D_CAPLEN, V_DROP, V_REJECT, V_KIND_MASK } from '../io/batch';
import { PcapWriter } from '../io/pcap-writer';

export const PCAP_DROPS_MAX_BYTES = 1024 * 1024 * 1024;
/** LINKTYPE_RAW: packets beginning with the IP header (NFQUEUE payloads). */
export const LINKTYPE_RAW = 101;

export class PcapDropWriter {
  private readonly w: PcapWriter;
  private bytes = 24;
  written = 0;
  skippedLinktype = 0;
  skippedFull = 0;

  constructor(readonly file: string, readonly linktype = LINKTYPE_RAW, readonly maxBytes = PCAP_DROPS_MAX_BYTES) {
    this.w = PcapWriter.toFile(file, { linktype, nanosecond: true });
  }

  /** Record every packet of the batch whose verdict kind is V_DROP or V_REJECT (flags ignored). */
  writeBatch(batch: PacketBatch): void {
    const v = batch.verdict, desc = batch.desc;
    for (let i = 0; i < batch.count; i++) {
      const k = v[2 * i] & V_KIND_MASK;
      if (k !== V_DROP && k !== V_REJECT) continue;
      const d = i * DESC_STRIDE;
      if (desc[d + D_LINK] !== this.linktype) { this.skippedLinktype++; continue; }
      const n = 16 + desc[d + D_CAPLEN];
      if (this.bytes + n > this.maxBytes) { this.skippedFull++; continue; }
      this.w.writeFromBatch(batch, i);
      this.bytes += n;
      this.written++;
    }
  }

  close(): void { this.w.close(); }
}
