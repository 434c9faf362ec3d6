/**
 * The addon and its JS wrapper against the real kernel, inside one network namespace:
 * - checksum fixing for replaced payloads, verified by the project's own decoder (checksum events);
 * - VERDICT_BATCH / coalesced verdicts: exactly the accepted packets arrive, in mixed batches;
 * - mark + REPEAT and queue-to-N verdicts;
 * - stable error codes: EBUSY (queue held), EPERM (no CAP_NET_ADMIN).
 * Sockets in the namespace are driven from child processes (`ip netns exec node -e ...`), since a
 * netlink socket belongs to the namespace of the process that opens it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { NetnsPair, netnsAvailability, waitFor } from '../helpers/netns';
import { loadNfqAddon } from '../../src/io/nfqueue';
import { PacketView } from '../../decoders/packet';
import { EVENT_NAMES } from '../../decoders/events';
import { newDecodeContext, decodeInto } from '../../src/engine/decode';
import { ROOT } from '../helpers/paths';
import { FIXTURES } from './helpers';

const avail = netnsAvailability();
const skip = avail.ok ? false : `skipped: ${avail.reason}`;
let addonOk = true;
try { loadNfqAddon(); } catch { addonOk = false; }
const skipAddon = addonOk ? false : 'skipped: native addon not built (npm run build:native)';

const NFQ = path.join(ROOT, 'dist', 'src', 'io', 'nfqueue.js');

function checksumEvents(pkt: Uint8Array): string[] {
  const v = new PacketView();
  decodeInto(v, newDecodeContext(true), pkt, 0, pkt.length, pkt.length, 101, 0, 0);
  const out: string[] = [];
  for (let i = 0; i < v.eventCount; i++) out.push(EVENT_NAMES[v.events[i]]);
  return out;
}

function ipv4(proto: number, l4: number[]): Uint8Array {
  const tot = 20 + l4.length;
  return Uint8Array.from([0x45, 0, tot >> 8, tot & 0xff, 0x12, 0x34, 0x40, 0, 64, proto, 0xde, 0xad, 10, 199, 1, 2, 10, 199, 1, 1, ...l4]);
}
function ipv6(nh: number, l4: number[], ext: number[] = []): Uint8Array {
  const plen = l4.length + ext.length;
  const src = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 2];
  const dst = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1];
  return Uint8Array.from([0x60, 0, 0, 0, plen >> 8, plen & 0xff, ext.length ? 0 : nh, 64, ...src, ...dst, ...ext, ...l4]);
}
const tcp = (payload: string) => [0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0xbe, 0xef, 0, 0, ...Buffer.from(payload)];
const udp = (payload: string) => { const n = 8 + payload.length; return [0x9c, 0x40, 0, 53, n >> 8, n & 0xff, 0xbe, 0xef, ...Buffer.from(payload)]; };

test('fixChecksums: IPv4 header + TCP/UDP, IPv6 TCP/UDP (with a hop-by-hop header) verify after a same-length rewrite', { skip: skipAddon }, () => {
  const a = loadNfqAddon();
  const cases: [string, Uint8Array, string[]][] = [
    ['ipv4/tcp', ipv4(6, tcp('GET /REPLACE-ME HTTP/1.1\r\n\r\n')), ['ipv4.bad_checksum', 'tcp.bad_checksum']],
    ['ipv4/udp', ipv4(17, udp('odd-length!')), ['ipv4.bad_checksum', 'udp.bad_checksum']],
    ['ipv6/tcp', ipv6(6, tcp('hello world')), ['tcp.bad_checksum']],
    ['ipv6/udp', ipv6(17, udp('x')), ['udp.bad_checksum']],
    ['ipv6/hbh/udp', ipv6(17, udp('via hop-by-hop'), [17, 0, 1, 4, 0, 0, 0, 0]), ['udp.bad_checksum']],
  ];
  for (const [name, pkt, bad] of cases) {
    const before = checksumEvents(pkt);
    for (const b of bad) assert.ok(before.includes(b), `${name}: the decoder flags the garbage checksum first (${before})`);
    assert.equal(a.fixChecksums(pkt, 0, pkt.length), true, name);
    const after = checksumEvents(pkt).filter((e) => e.endsWith('bad_checksum'));
    assert.deepEqual(after, [], `${name}: checksums valid after fixing`);
    // rewrite payload bytes (same length) and fix again
    pkt[pkt.length - 1] ^= 0x5a;
    assert.ok(checksumEvents(pkt).some((e) => e.endsWith('bad_checksum')), `${name}: the rewrite breaks the checksum`);
    a.fixChecksums(pkt, 0, pkt.length);
    assert.deepEqual(checksumEvents(pkt).filter((e) => e.endsWith('bad_checksum')), [], `${name}: valid again`);
  }
  // IPv4 UDP with checksum 0 (none) stays 0; fragments get the header fixed only; junk is refused
  const noCsum = ipv4(17, udp('abc')); noCsum[26] = 0; noCsum[27] = 0;
  assert.equal(a.fixChecksums(noCsum, 0, noCsum.length), true);
  assert.equal(noCsum[26] | noCsum[27], 0);
  assert.equal(a.fixChecksums(Uint8Array.from([0x45, 0, 0, 10]), 0, 4), false);
});

/** Runs a consumer script in the server namespace; returns its JSON result. */
function consumer(pair: NetnsPair, body: string, timeoutMs = 20_000): any {
  const script = `const {NfqueueSource, NfqError}=require(${JSON.stringify(NFQ)});
    const B=require(${JSON.stringify(path.join(ROOT, 'dist', 'src', 'io', 'batch.js'))});
    (async()=>{ ${body} })().then(r=>{process.stdout.write(JSON.stringify(r)); process.exit(0)}, e=>{process.stdout.write(JSON.stringify({error:e.code||String(e), message:String(e.message)})); process.exit(0)});`;
  const r = pair.exec(pair.server, process.execPath, ['-e', script], { timeoutMs });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('verdicts: mixed batches deliver exactly the accepted packets; runs of accepts use VERDICT_BATCH', { skip: skip || skipAddon, timeout: 60_000 }, async () => {
  const pair = NetnsPair.create('v');
  try {
    pair.exec(pair.server, 'iptables', ['-A', 'INPUT', '-p', 'udp', '--dport', '9000', '-j', 'NFQUEUE', '--queue-num', '0']);
    const recv = pair.spawn(pair.server, process.execPath, [path.join(FIXTURES, 'udp-tools.js'), 'recv', '9000', '20']);
    let out = '';
    recv.stdout!.on('data', (d) => { out += String(d); });
    // the consumer binds, sleeps while 300 datagrams queue up, then drains with verdict = drop when seq % 7 == 3
    const N = 300;
    const sender = `sleep 0.8; node ${path.join(FIXTURES, 'udp-tools.js')} send ${pair.serverAddr} 9000 ${N} 20000`;
    const send = pair.spawn(pair.client, 'sh', ['-c', sender]);
    const res = consumer(pair, `
      const s=new NfqueueSource({queue:0, maxBatch:64});
      await new Promise(r=>setTimeout(r,2500));
      let got=0, batches=[], dropped=[];
      const end=Date.now()+8000;
      while(got<${N} && Date.now()<end){ const b=s.recvSync(200); if(!b) continue; batches.push(b.count);
        for(let i=0;i<b.count;i++){ const off=b.desc[i*12+B.D_OFF], len=b.desc[i*12+B.D_CAPLEN];
          const txt=Buffer.from(b.data.buffer, off+28, len-28).toString(); const seq=Number(txt.split(' ')[1]);
          if(seq%7===3){ b.verdict[2*i]=B.V_DROP; dropped.push(seq);} }
        got+=b.count; s.complete(b); }
      const st=s.stats(); s.closeSync(); return {got, batches, dropped:dropped.length, st};`);
    await waitFor(() => /received/.test(out), 10_000);
    send.kill('SIGKILL');
    const expectDropped = Array.from({ length: N }, (_, i) => i).filter((i) => i % 7 === 3).length;
    assert.equal(res.got, N, JSON.stringify(res));
    assert.equal(res.dropped, expectDropped);
    assert.ok(Math.max(...res.batches) > 1, `batches formed (${res.batches.slice(0, 10)})`);
    assert.ok(res.st.verdictMsgsBatch > 0, 'runs of accepts went out as VERDICT_BATCH');
    assert.ok(res.st.sendCalls <= res.batches.length, 'one send per batch');
    assert.equal(res.st.verdictErrors, 0, `kernel refused a verdict (errno ${res.st.lastVerdictErrno})`);
    const got = JSON.parse(out.trim().split('\n').pop()!);
    assert.equal(got.received, N - expectDropped, 'exactly the accepted datagrams arrived');
  } finally {
    pair.destroy();
  }
});

test('verdicts: REPEAT with a mark re-enters the hook with the mark; queue-to-N moves a packet to another queue', { skip: skip || skipAddon, timeout: 60_000 }, () => {
  const pair = NetnsPair.create('m');
  try {
    // marked packets go to queue 1, unmarked to queue 0
    pair.exec(pair.server, 'iptables', ['-A', 'INPUT', '-p', 'udp', '--dport', '9000', '-m', 'mark', '--mark', '0x1234', '-j', 'NFQUEUE', '--queue-num', '1']);
    pair.exec(pair.server, 'iptables', ['-A', 'INPUT', '-p', 'udp', '--dport', '9000', '-m', 'mark', '--mark', '0', '-j', 'NFQUEUE', '--queue-num', '0']);
    const send = pair.spawn(pair.client, 'sh', ['-c', `sleep 0.8; node ${path.join(FIXTURES, 'udp-tools.js')} send ${pair.serverAddr} 9000 2 100`]);
    const res = consumer(pair, `
      const q0=new NfqueueSource({queue:0}), q1=new NfqueueSource({queue:1}), q2=new NfqueueSource({queue:2});
      const seen=[]; const end=Date.now()+6000;
      while(seen.length<4 && Date.now()<end){
        for(const [s,name] of [[q0,'q0'],[q1,'q1'],[q2,'q2']]){ const b=s.recvSync(20); if(!b) continue;
          for(let i=0;i<b.count;i++){ const d=b.desc.subarray(i*12,i*12+12); const seq=Buffer.from(b.data.buffer,d[B.D_OFF]+28,d[B.D_CAPLEN]-28).toString();
            seen.push({q:name, seq, mark:d[B.D_MARK], hook:d[B.D_HOOK], queue:d[B.D_QUEUE]});
            if(name==='q0' && seq==='seq 0'){ b.verdict[2*i]=B.V_REPEAT; b.verdict[2*i+1]=0x1234; }
            if(name==='q0' && seq==='seq 1'){ b.verdict[2*i]=B.V_QUEUE; b.verdict[2*i+1]=(2<<16)>>>0; }
          } s.complete(b); } }
      const st=[q0.stats(),q1.stats(),q2.stats()]; q0.closeSync(); q1.closeSync(); q2.closeSync(); return {seen, st};`);
    send.kill('SIGKILL');
    const s = res.seen as { q: string; seq: string; mark: number; hook: number; queue: number }[];
    assert.deepEqual(s.filter((x) => x.q === 'q0').map((x) => x.seq).sort(), ['seq 0', 'seq 1']);
    const rep = s.find((x) => x.q === 'q1');
    assert.ok(rep, `the repeated packet came back through the mark rule: ${JSON.stringify(s)}`);
    assert.equal(rep!.seq, 'seq 0');
    assert.equal(rep!.mark, 0x1234);
    assert.equal(rep!.hook, 1, 'NF_INET_LOCAL_IN');
    assert.equal(rep!.queue, 1);
    const moved = s.find((x) => x.q === 'q2');
    assert.ok(moved, 'queue-to-2 delivered the packet to queue 2');
    assert.equal(moved!.seq, 'seq 1');
  } finally {
    pair.destroy();
  }
});

test('errors: a queue held by another socket -> QUELL_E_NFQ_BUSY; without CAP_NET_ADMIN -> QUELL_E_NFQ_PERM', { skip: skip || skipAddon, timeout: 30_000 }, () => {
  const pair = NetnsPair.create('e');
  try {
    const busy = consumer(pair, `const a=new NfqueueSource({queue:7}); try { new NfqueueSource({queue:7}); return {ok:true}; } finally { a.closeSync(); }`);
    assert.equal(busy.error, 'QUELL_E_NFQ_BUSY', JSON.stringify(busy));
    assert.match(busy.message, /already bound/);
    const script = `const {NfqueueSource}=require(${JSON.stringify(NFQ)}); try { new NfqueueSource({queue:3}); console.log(JSON.stringify({ok:true})); } catch(e) { console.log(JSON.stringify({error:e.code, message:e.message})); }`;
    const r = pair.exec(pair.server, 'setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, '-e', script]);
    assert.equal(r.status, 0, r.stderr);
    const perm = JSON.parse(r.stdout);
    assert.equal(perm.error, 'QUELL_E_NFQ_PERM', JSON.stringify(perm));
    assert.match(perm.message, /CAP_NET_ADMIN/);
  } finally {
    pair.destroy();
  }
});
