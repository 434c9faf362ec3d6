/**
 * Worker side of the operations layer, kept light (no sockets, SQLite or protobuf imports) so an
 * engine thread loads only what it runs: the gate/rate/ban runtime and the pcap of drops.
 * Created from OpsMain.workerInit() (src/ops/host.ts).
 */
import * as path from 'path';
import type { SetsSnapshot } from './sets';
import { WorkerOps, GateMode } from './runtime';
import { PcapDropWriter } from '../outputs/pcap-drops';
import type { PacketBatch } from '../io/batch';

/** What a worker needs (structured-cloneable: SharedArrayBuffers inside). */
export interface OpsWorkerInit { snap: SetsSnapshot; gateMode: GateMode; timeZone: string; pcapDrops: string | null }

/** Worker side: the gate/rate/ban runtime plus the pcap of drops. */
export class OpsWorker {
  readonly ops: WorkerOps;
  private pcap: PcapDropWriter | null = null;
  private readonly pcapFile: string | null;
  constructor(init: OpsWorkerInit) {
    this.ops = new WorkerOps(init.snap, { mode: init.gateMode, timeZone: init.timeZone });
    this.pcapFile = init.pcapDrops ? path.resolve(init.pcapDrops) : null;
  }
  wrap: WorkerOps['wrap'] = (inner) => this.ops.wrap(inner);
  setSnapshot(snap: SetsSnapshot): void { this.ops.setSnapshot(snap); }
  /**
   * After processBatch, before complete(): record dropped packets. The pcap file is opened on the
   * first call, so only the thread that owns batches (not fan-out helper engines) creates it.
   */
  afterBatch(b: PacketBatch): void {
    if (this.pcapFile === null) return;
    if (this.pcap === null) this.pcap = new PcapDropWriter(this.pcapFile);
    this.pcap.writeBatch(b);
  }
  stats(): Record<string, number> {
    const s = this.ops.stats() as Record<string, number>;
    if (this.pcap) { s.pcapDropsWritten = this.pcap.written; s.pcapDropsSkipped = this.pcap.skippedLinktype + this.pcap.skippedFull; }
    return s;
  }
  close(): void { this.pcap?.close(); this.pcap = null; }
}
