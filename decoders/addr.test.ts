/**
 * decoders/addr.ts against an independent serializer: Node's WHATWG URL host serializer writes
 * IPv6 the RFC 5952 way (first longest run of >= 2 zero groups as ::, lower-case hex, no
 * leading zeros, no dotted IPv4-mapped form), so random addresses (zero groups favoured) must
 * give the same text; the u32-word form equals the byte form; the full form is the groups
 * padded to 4 digits; dotted mapped form and IPv4 forms checked against Node's parser/known text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'net';
import fc from 'fast-check';
import { ipv4Text, ipv4U32Text, ipv6Text, ipv6WordsText, ipv6FullText, ipText } from './addr';
import { ipv6String, ipv4String } from './format';

const group = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
const addr6 = fc.array(group, { minLength: 8, maxLength: 8 });

function bytesOf(g: number[], pad = 0): Uint8Array {
  const b = new Uint8Array(16 + pad);
  g.forEach((x, i) => { b[pad + 2 * i] = x >> 8; b[pad + 2 * i + 1] = x & 255; });
  return b;
}
const whatwg = (g: number[]) => new URL(`http://[${g.map((x) => x.toString(16)).join(':')}]/`).hostname.slice(1, -1);

test('ipv6Text / ipv6WordsText equal the WHATWG URL serializer (RFC 5952) on random addresses', () => {
  fc.assert(fc.property(addr6, fc.integer({ min: 0, max: 7 }), (g, pad) => {
    const want = whatwg(g);
    assert.equal(ipv6Text(bytesOf(g, pad), pad), want);
    assert.equal(ipText(bytesOf(g, pad), pad, 16), want);
    const w = new Uint32Array(5);
    for (let i = 0; i < 4; i++) w[1 + i] = ((g[2 * i] << 16) | g[2 * i + 1]) >>> 0;
    assert.equal(ipv6WordsText(w, 1), want);
    assert.ok(net.isIPv6(want));
  }), { numRuns: 3000 });
  assert.equal(ipv6Text(bytesOf([0, 0, 0, 0, 0, 0, 0, 1]), 0), '::1');
  assert.equal(ipv6Text(bytesOf([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), 0), '2001:db8::1:0:0:1', 'first of two equal runs');
  assert.equal(ipv6Text(bytesOf([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]), 0), '2001:db8:0:1:1:1:1:1', 'a single zero group stays');
});

test('IPv4-mapped: hex by default (EVE), dotted on request (decode output, tshark style)', () => {
  const b = bytesOf([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]);
  assert.equal(ipv6Text(b, 0), '::ffff:a00:1');
  assert.equal(ipv6Text(b, 0, true), '::ffff:10.0.0.1');
  assert.equal(ipv6String(b, 0), '::ffff:10.0.0.1');
  fc.assert(fc.property(addr6, (g) => {
    const s = ipv6String(bytesOf(g), 0);
    assert.ok(net.isIPv6(s), s);
    // Node parses both forms to the same address: compare through the URL serializer
    assert.equal(whatwg(g), new URL(`http://[${s}]/`).hostname.slice(1, -1));
  }), { numRuns: 2000 });
});

test('ipv6FullText: 8 groups of 4 digits; IPv4 forms', () => {
  fc.assert(fc.property(addr6, (g) => {
    assert.equal(ipv6FullText(bytesOf(g), 0), g.map((x) => x.toString(16).padStart(4, '0')).join(':'));
  }), { numRuns: 1000 });
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
    const b = new Uint8Array([9, v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
    const want = `${b[1]}.${b[2]}.${b[3]}.${b[4]}`;
    assert.equal(ipv4Text(b, 1), want);
    assert.equal(ipv4String(b, 1), want);
    assert.equal(ipText(b, 1, 4), want);
    assert.equal(ipv4U32Text(v), want);
    assert.ok(net.isIPv4(want));
  }), { numRuns: 1000 });
});
