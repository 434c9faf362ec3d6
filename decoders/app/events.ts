/**
 * Application-layer events (HTTP, DNS, detection). A separate list from decoders/events.ts on
 * purpose: packet decode events live in PacketView.events (one packet), app events are attached
 * to a transaction (HttpTx.events) or to one DNS message (DnsMessage.events), and they are
 * produced at a different point of the pipeline. Keeping the list here means the app parsers
 * never edit the shared seam file.
 *
 * The signature engine sees them under the same `event.<name>` namespace: rule names are
 * globally unique because every name here starts with `http.`, `dns.` or `app.`, prefixes the
 * packet list never uses. Numeric id = index in APP_EVENT_NAMES, stable within a build only.
 * Add new events at the end.
 */
export const APP_EVENT_NAMES = [
  'none',
  // ---- HTTP/1.x
  'http.request_line_invalid',    // method not a token, missing URI, or garbage before the request
  'http.response_line_invalid',   // response does not start with "HTTP/x.y NNN"; treated as body until close
  'http.header_too_long',         // one line longer than limits.maxLineBytes: the rest of the line is dropped
  'http.too_many_headers',        // more than limits.maxHeaders: later headers are parsed for framing only
  'http.headers_too_big',         // header section larger than limits.maxHeaderBytes
  'http.header_invalid',          // header line without ':' or with whitespace before ':'
  'http.content_length_invalid',  // not digits, or several different values
  'http.te_and_cl',               // both Transfer-Encoding and Content-Length (request smuggling indicator)
  'http.te_unknown',              // Transfer-Encoding present but last coding is not chunked
  'http.chunk_invalid',           // chunk size line not hex, or chunk data not followed by CRLF
  'http.chunk_too_big',           // chunk size beyond 2^48
  'http.body_limit',              // body longer than limits.max{Request,Response}Body: the rest is counted, not kept
  'http.too_many_tx',             // more than limits.maxOpenTx pipelined requests waiting for responses
  'http.response_without_request',// a response with no pending request (midstream pickup or lost request)
  'http.gap',                     // bytes lost in the stream (gap); see the resync policy in http.ts
  'http.truncated',               // stream ended inside headers or inside a length-delimited body
  'http.uri_invalid_encoding',    // bad %-escape in the URI (kept as is)
  'http.uri_double_encoding',     // %25XX in the URI (decoded once only)
  'http.host_mismatch',           // absolute-URI authority differs from the Host header
  'http.host_missing',            // HTTP/1.1 request without Host
  'http.folded_header',           // obsolete line folding seen
  'http.version_invalid',         // protocol not HTTP/0.9, 1.0 or 1.1
  'http.unsolicited_100',         // 1xx interim response when no request is pending
  // ---- DNS
  'dns.truncated',                // message shorter than its header or a record runs past the end
  'dns.label_invalid',            // label type 0x40/0x80 or a label running past the message
  'dns.name_too_long',            // decoded name longer than 255 bytes
  'dns.ptr_hops',                 // more than DNS_MAX_PTR_HOPS compression pointers in one name (loop)
  'dns.ptr_invalid',              // compression pointer beyond the message
  'dns.too_many_records',         // more than DNS_MAX_QUESTIONS / DNS_MAX_RRS records: the rest is skipped
  'dns.names_limit',              // decoded names exceed DNS_NAMES_BYTES for one message
  'dns.rdata_invalid',            // rdata shorter/longer than its type requires
  'dns.z_flag_set',               // reserved Z bit set
  'dns.tcp_len_invalid',          // TCP length prefix < 12 (raised by the caller from DnsTcpFramer.badLengths)
  'dns.tcp_gap',                  // a gap in a DNS-over-TCP stream: framing is lost (raised by the caller with DnsTcpFramer.gap())
  'dns.trailing_bytes',           // bytes after the last record
  // ---- HTTP content coding (decoders/app/http-coding.ts), added after the DNS list (ids stay stable)
  'http.body_decompress_limit',   // decoded body capped (output beyond the body limit, or ratio above HTTP_DECODE_MAX_RATIO: bomb)
  'http.body_decompress_error',   // Content-Encoding gzip/deflate but the body does not inflate: inspected as is
  'http.body_decompress_layers',  // more content codings than HTTP_MAX_DECODE_LAYERS: the outer ones only are undone
  'http.request_headers_incomplete', // the request's header section never ended (flow end, gap or header limit): inspected as far as parsed
  // ---- HTTP response header leniency (browsers accept these; http-evader), added at the end (ids stay stable)
  'http.line_end_invalid',        // response header line ended by a bare CR, or by LF CR: read as a line end like browsers
  'http.response_junk',           // lines (or NUL bytes) before the response's status line: skipped like browsers
  // ---- added at the end (ids stay stable)
  'http.method_unknown',          // a request method (a valid token) outside detect.ts HTTP_METHODS, with an HTTP/x protocol: parsed like any (Zeek: unknown_HTTP_method); without a protocol: http.request_line_invalid
] as const;

export type AppEventName = (typeof APP_EVENT_NAMES)[number];
export const AEV: { [K in AppEventName]: number } = Object.fromEntries(APP_EVENT_NAMES.map((n, i) => [n, i])) as never;
export const APP_EVENT_COUNT = APP_EVENT_NAMES.length;
