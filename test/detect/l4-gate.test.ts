/**
 * l4Requirement (src/engine/detect.ts): which rules the Matcher may skip by L4 protocol. A rule
 * gets a requirement only when one of its top-level `and` operands is false off that protocol and
 * no side effect (count(), scan.ports, synflood.pending, flow.tag) precedes it; anything else
 * (or, loops, negations, global rules) gets none. The engine-level effect (the default scan and
 * SYN-flood rules still fire) is covered by the replay cases of the default ruleset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { compileSource } from '../../signatures/compiler';
import { l4Requirement } from '../../src/engine/detect';
import { ROOT } from '../helpers/paths';

function reqs(src: string): Record<string, number> {
  const res = compileSource(src, 't.rules');
  assert.equal(res.diags.errorCount, 0, res.diags.list.map((d) => res.diags.format(d)).join('\n'));
  const rs = res.ruleset!;
  return Object.fromEntries(rs.rules.map((r) => [r.name, l4Requirement(rs, r)]));
}

test('default.rules: the SYN-scan and SYN-flood rules need TCP, the UDP-scan rule UDP, app rules nothing', () => {
  const r = reqs(fs.readFileSync(path.join(ROOT, 'signatures', 'rules', 'default.rules'), 'utf8'));
  assert.equal(r.Net_Port_Scan_SYN, 6);
  assert.equal(r.Net_SYN_Flood, 6);
  assert.equal(r.Net_Port_Scan_UDP, 17);
  for (const [name, v] of Object.entries(r)) if (!name.startsWith('Net_')) assert.equal(v, 0, name);
});

test('what proves a requirement and what does not', () => {
  const r = reqs(`
rule tcp_first { condition: tcp.flags == 2 and ip.ttl > 3 }
rule udp_later { condition: flow.to_server and udp.dport == 53 }
rule proto_eq { condition: ip.proto == 6 }
rule proto_icmp { condition: ip.proto == 1 }
rule nested { condition: ip.ttl > 3 and (tcp.flags == 2 and ip.ttl < 9) }
rule flood { condition: synflood.pending(window = 1s) > 10 }
rule either { condition: tcp.flags == 2 or udp.dport == 53 }
rule inner_or { condition: ip.ttl > 1 and (ip.ttl < 9 or tcp.flags == 2) }
rule negated { condition: not (tcp.flags == 2) }
rule counted_first { condition: count(by = src, window = 1s) > 3 and tcp.flags == 2 }
rule tagged_first { condition: flow.tag("x") and udp.dport == 53 }
rule scan_then_tcp { condition: scan.ports(window = 10s) > 5 and tcp.flags == 2 }
global rule glob { condition: tcp.dport == 1 }
`);
  assert.deepEqual(r, {
    tcp_first: 6, udp_later: 17, proto_eq: 6, proto_icmp: 0, nested: 6, flood: 6,
    either: 0, inner_or: 0, negated: 0, counted_first: 0, tagged_first: 0, scan_then_tcp: 0, glob: 0,
  });
});
