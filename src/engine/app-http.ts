/**
 * HTTP glue between the stream and decoders/app's HttpParser: one parser per HTTP flow
 * (allocated when the flow is classified), one shared progress callback (no closure per flow:
 * the parser's userData holds the flow slot). Completed transactions become EVE http events and
 * `quell flows` summaries; both are built as strings at HTTP_TX_DONE (output time).
 */
import { HttpParser, HttpTx, HttpLimits, HTTP_TX_DONE, TXF_NO_REQUEST, httpTxEve, latin1 } from '../../decoders/app/http';
import type { AppLayer, FlowApp } from './app';

export interface HttpSummary { method: string | null; uri: string | null; host: string | null; user_agent: string | null; status: number | null }

export class HttpGlue {
  readonly parser: HttpParser;
  txCount = 0;

  constructor(app: AppLayer, slot: number, limits?: Partial<HttpLimits>) {
    this.parser = new HttpParser(limits);
    this.parser.userData = slot;
    this.parser.onTx = app.httpCallback;
  }
  /** Reuse this glue (and its parser's transaction objects) for the flow in `slot` (AppLayer's pool). */
  reuse(slot: number): void {
    this.parser.reset();
    this.parser.userData = slot;
    this.txCount = 0;
  }
  feed(dir: number, buf: Uint8Array, off: number, len: number, tsUs: number): void {
    this.parser.feed(dir as 0 | 1, buf, off, len, tsUs * 1000);
  }
  gap(dir: number, len: number): void { this.parser.gap(dir as 0 | 1, len); }
  endDir(dir: number): void { this.parser.end(dir as 0 | 1); }
  end(): void { this.parser.finish(); }
}

/** Build the callback shared by all parsers of one AppLayer. */
export function makeHttpCallback(app: AppLayer, flowApp: (slot: number) => FlowApp | null,
  emit: (slot: number, tx: HttpTx, txId: number) => void): (tx: HttpTx, what: number, p: HttpParser) => void {
  return (tx, what, p) => {
    app.httpProgress(tx, what, p.userData);
    if (what !== HTTP_TX_DONE) return;
    const slot = p.userData;
    const st = flowApp(slot);
    if (st === null || st.http === null) return;
    const txId = st.http.txCount++;
    app.txHttp++;
    if (app.summaries) {
      // only the five summary fields (httpTxRecord would build every field)
      const q = tx.req.buf, req = (tx.flags & TXF_NO_REQUEST) === 0;
      const str = (o: number, l: number) => (req && l >= 0 ? latin1(q, o, l) : null);
      app.pushTx(st.httpTx, {
        method: str(tx.methodOff, tx.methodLen), uri: str(tx.uriOff, tx.uriLen), host: str(tx.hostOff, tx.hostLen),
        user_agent: str(tx.uaOff, tx.uaLen), status: tx.status >= 0 ? tx.status : null,
      });
    }
    if (app.events) emit(slot, tx, txId);
  };
}

export { httpTxEve };
