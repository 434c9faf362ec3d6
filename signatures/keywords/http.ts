import { KeywordDef } from './types';
const H: ['http'] = ['http'];
export const HTTP: KeywordDef[] = [
  { name: 'http.method', type: 'buffer', protos: H, doc: 'request method (GET, POST, ...)' },
  { name: 'http.uri', type: 'buffer', protos: H, doc: 'normalised request URI (percent-decoded path and query)' },
  { name: 'http.uri.raw', type: 'buffer', protos: H, doc: 'request URI as sent' },
  { name: 'http.host', type: 'buffer', protos: H, doc: 'Host header value, lower-cased, without port' },
  { name: 'http.user_agent', type: 'buffer', protos: H, doc: 'User-Agent header value' },
  { name: 'http.header', type: 'buffer', protos: H, keyed: true, doc: 'value of the named request/response header: http.header["Name"] (name case-insensitive)' },
  { name: 'http.request_body', type: 'buffer', protos: H, doc: 'request body (dechunked, bounded)' },
  { name: 'http.status', type: 'buffer', protos: H, numText: true, doc: 'response status code: compared with a number it is an integer (`http.status >= 500`, `== 404`); with a string or string operator it is its 3-digit text (`== "404"`, `startswith "4"`); absent (undefined) without a response' },
  { name: 'http.server', type: 'buffer', protos: H, doc: 'Server response header value' },
  { name: 'http.content_type', type: 'buffer', protos: H, doc: 'Content-Type header value' },
  { name: 'http.response_body', type: 'buffer', protos: H, doc: 'response body (dechunked, bounded)' },
];
