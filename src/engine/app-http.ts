/**
 * HTTP glue between the stream and decoders/app's HttpParser: one parser per HTTP flow
 * (allocated when the flow is classified), one shared progress callback (no closure per flow:
 * the parser's userData holds the flow slot). Completed transactions become EVE http events and
 * `quell flows` summaries; both are built as strings at HTTP_TX_DONE (output time).
 */
import { HttpParser, HttpTx, HttpLimits, HTTP_TX_DONE, TXF_NO_REQUEST, httpTxEve, latin1 } from '../../decoders/app/http';
import type { AppLayer, FlowApp } from './app';

/** interim_status (a 1xx before the final status, e.g. 100 Continue; Arkime lists it among the status codes, Zeek as info_code) is present only when there was one. */
export interface HttpSummary { method: string | null; uri: string | null; host: string | null; user_agent: string | null; status: number | null; interim_status?: number }

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

/** A CONNECT's Host header, lower-case, port stripped (like the other summaries' host); null without one. */
function connectHost(h: string | undefined): string | null {
  if (h === undefined) return null;
  h = h.trim().toLowerCase();
  if (h.startsWith('[')) { const e = h.indexOf(']'); return e > 0 ? h.slice(0, e + 1) : h; }
  const c = h.indexOf(':');
  return c >= 0 && h.indexOf(':', c + 1) < 0 ? h.slice(0, c) : h;
}

/** Build the callback shared by all parsers of one AppLayer. */
export function makeHttpCallback(app: AppLayer, flowApp: (slot: number) => FlowApp | null,
  emit: (slot: number, tx: HttpTx, txId: number) => void): (tx: HttpTx, what: number, p: HttpParser) => void {
  return (tx, what, p) => {
    app.httpProgress(tx, what, p.userData);
    if (what !== HTTP_TX_DONE) return;
    const slot = p.userData;
    const st = flowApp(slot);
    if (st === null) return;
    // an HTTP flow numbers its transactions in its glue; a SOCKS flow's tunnelled HTTP in the tunnel
    let txId: number;
    if (st.http !== null) txId = st.http.txCount++;
    else if (st.tunnel !== null) txId = st.tunnel.txCount++;
    else return;
    app.txHttp++;
    if (app.summaries) {
      // only the five summary fields (httpTxRecord would build every field)
      const q = tx.req.buf, req = (tx.flags & TXF_NO_REQUEST) === 0;
      const str = (o: number, l: number) => (req && l >= 0 ? latin1(q, o, l) : null);
      // CONNECT: the summary's host is the Host header only, as Zeek logs it (the authority is the
      // uri; EVE's http.hostname keeps Suricata's authority-derived host)
      const host = tx.isConnect ? connectHost(req ? tx.req.headerStr('host') : undefined) : str(tx.hostOff, tx.hostLen);
      const sum: HttpSummary = {
        method: str(tx.methodOff, tx.methodLen), uri: str(tx.uriOff, tx.uriLen), host,
        user_agent: str(tx.uaOff, tx.uaLen), status: tx.status >= 0 ? tx.status : null,
      };
      if (tx.interimStatus >= 0) sum.interim_status = tx.interimStatus;
      app.pushTx(st.httpTx, sum);
    }
    if (app.events) emit(slot, tx, txId);
  };
}

export { httpTxEve };
