/**
 * Application-layer parsers: the API the pipeline (src/engine) uses. Everything here is
 * re-exported from one file per protocol:
 *
 * Detection (detect.ts), by content, not port:
 *   detectApp(ipProto, toServer, buf, off, len, sport?, dport?) -> APP_HTTP | APP_DNS | APP_NONE | APP_NEED_MORE (-1)
 *   Called on the first bytes of a flow direction (TCP: in-order stream bytes from the start of
 *   the direction, pass everything buffered so far; UDP: one datagram). -1 only for TCP, and
 *   never once len >= APP_DETECT_MAX_BYTES. Ports are used only to say "not DNS" for mDNS (5353),
 *   LLMNR (5355) and NetBIOS-NS (137), which share DNS's wire format (unless the other port is 53).
 *   guessAppByPort(ipProto, sport, dport, contentSeen) -> APP_*: optional "match by port" fallback
 *   (nDPI's) for flows whose content could not be judged (no payload / midstream); report it as a
 *   guess, never as content detection. nDPI agreement with it: 99.93% recall, 0.53% false positives;
 *   content only: 94.1% / 0.45% (docs/app.md).
 *
 * HTTP/1.x (http.ts): one HttpParser per flow, created when the flow is classified.
 *   parser.onTx = (tx, what, parser) => ...      // set once; what = HTTP_REQUEST_HEADERS | HTTP_REQUEST_DONE |
 *                                                 //   HTTP_RESPONSE_HEADERS | HTTP_RESPONSE_DONE | HTTP_TX_DONE |
 *                                                 //   HTTP_REQUEST_PARTIAL (headers still open at the end of a feed)
 *   parser.feed(dir, buf, off, len, tsNs)         // dir 0 = to_server, 1 = to_client; in-order bytes; view read during the call only
 *   parser.gap(dir, lostBytes)                    // a hole; resync policy in http.ts
 *   parser.end(dir)                               // FIN/RST of that direction; both ended -> all open tx reported done
 *   parser.finish()                               // flow end/eviction/timeout: end both
 *   Transactions are parser-owned and recycled: a tx (and its views) is valid until the parser's
 *   next feed/gap/end/finish call after its HTTP_TX_DONE callback. Views are (buf, off, len) with
 *   len -1 = absent: tx.req.buf holds method/uri/uriNorm/proto/host/ua (tx.methodOff/Len, ...),
 *   tx.res.buf holds status/server/content_type; headers by name: tx.req.find('x-foo') -> index
 *   into tx.req.hdr[4i + 2] (offset) / hdr[4i + 3] (length); bodies: tx.req.body[0, bodyLen), tx.res.body[0, bodyLen) (bounded,
 *   gzip/deflate content coding undone at message end: http-coding.ts, received bytes in
 *   raw[0, rawLen); bodyTotal = all bytes). httpTxRecord(tx) / httpTxEve(tx) make strings for output only.
 *
 * DNS (dns.ts): stateless.
 *   parseDns(buf, off, len, msg: DnsMessage) -> 0 ok, else an AEV event id (also in msg.events)
 *   DnsTcpFramer per TCP flow direction: framer.push(buf, off, len); while (framer.next()) parseDns(framer.msgBuf, framer.msgOff, framer.msgLen, msg);
 *   dnsRecordJson(msg) (answers for flows; answer_rrs/authority_rrs in Suricata's EVE form),
 *   rcodeName(), qtypeName()/suricataRrtype()/zeekQtypeName() for output. DnsMessage views: names
 *   in msg.names (valid until the next parseDns on it), rdata views in the caller's buffer.
 *
 * WebSocket (websocket.ts, RFC 6455): one WsParser per flow upgraded by "101 Switching Protocols"
 *   with "Upgrade: websocket" (HttpParser.tunnelWebSocket / tx flag TXF_WEBSOCKET).
 *   ws.deflate = parser.tunnelWsDeflate; ws.onPayload = (dir, buf, off, len) => ...  // data payloads, unmasked, in order
 *   ws.feed(dir, buf, off, len); ws.gap(dir, lost)   // the payload view is valid during the callback only
 *   Counters ws.counts[WS_C_*] (names WS_COUNTER_NAMES), ws.closeCode[dir]; limits WS_MAX_FRAME_BYTES,
 *   WS_MAX_MESSAGE_BYTES. src/engine/app.ts probes the payload stream and parses HTTP inside it.
 *
 * Events (events.ts): APP_EVENT_NAMES / AEV, a list separate from decoders/events.ts; every name
 * starts with http., dns. or app. so both lists share the rule namespace `event.<name>` without clashes.
 */
export * from './detect';
export * from './dns';
export * from './http';
export * from './http-coding';
export * from './uri';
export * from './events';
export * from './websocket';
