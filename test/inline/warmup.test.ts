/**
 * `quell run --warmup` (src/inline/warmup.ts): the crafted mix reaches every layer the inline
 * path uses (IPv4/IPv6, TCP with HTTP transactions, DNS, plain UDP, ICMP) without decode events,
 * and warming a hosted engine leaves that engine, its ruleset's state and its outputs untouched.
 * No root needed: the engine is fed in process, as the worker does before binding its queue.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { createEngine } from '../../src/engine/pipeline';
import { warmUp, warmupFrames } from '../../src/inline/warmup';
import { hostEngine } from '../../src/inline/engine-host';
import { ROOT } from '../helpers/paths';

test('the warm-up mix exercises IPv4/IPv6, HTTP, DNS, UDP and ICMP, and decodes cleanly', () => {
  const e = createEngine({});
  const frames = warmupFrames();
  const rep = warmUp([e], 1);
  assert.equal(rep.rounds, 1);
  assert.equal(rep.packets, frames.length);
  const st = e.stats() as Record<string, Record<string, unknown>>;
  const dec = st.decoder as Record<string, number>;
  assert.equal(dec.pkts, frames.length);
  assert.ok(dec.ipv4 > 0 && dec.ipv6 > 0, 'both IP versions');
  assert.equal(dec.ipv4 + dec.ipv6, dec.pkts, 'every packet decoded as IP (raw link type, Ethernet removed)');
  assert.ok(dec.tcp > 0 && dec.udp > 0 && dec.icmp > 0);
  assert.deepEqual(dec.event, {}, 'no decode events: checksums and lengths are valid');
  const tx = (st.app_layer as Record<string, Record<string, number>>).tx;
  assert.equal(tx.http, 6, 'GET, GET (304) and POST (chunked response) per IP version');
  assert.equal(tx.dns, 6, 'query, answer, query per IP version');
});

test('warming a hosted engine (default.rules) touches only throwaway engines', () => {
  const rules = path.join(ROOT, 'signatures', 'rules', 'default.rules');
  const spec = { rulesText: fs.readFileSync(rules, 'utf8'), rulesFile: rules, engineModule: null, engineOptions: {} };
  const cold = hostEngine(spec);
  assert.deepEqual(cold.warmup, { ms: 0, packets: 0, rounds: 0 }, 'no warmupPackets: none');
  const host = hostEngine({ ...spec, warmupPackets: 3000 });
  const rep = host.warmup;
  assert.ok(rep.packets >= 3000, `ran ${rep.packets} packets`);
  assert.ok(rep.rounds >= 2, 'both scratch engines took turns');
  assert.equal(host.warmEngines?.length, 2, 'the throwaway engines stay referenced');
  assert.ok(host.warmEngines!.every((e) => e !== host.engine));
  assert.equal(JSON.stringify(host.engine.stats()), JSON.stringify(cold.engine.stats()), 'the real engine saw nothing');
  assert.deepEqual(host.engine.drainEvents(), []);
  // and the real engine still works afterwards on its own traffic
  const e2 = host.engine;
  const one = warmUp([e2], 1);
  assert.equal(one.packets, warmupFrames().length);
  assert.ok(((e2.stats() as Record<string, Record<string, number>>).decoder.pkts) === one.packets);
});
