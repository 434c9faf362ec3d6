/**
 * Decoder registry: one line per (link type | ethertype | IP protocol) -> decoder.
 * Adding a protocol = one file + one line here. Importing this module fills the dispatch tables
 * (decoders/dispatch.ts) once; decode.ts imports it, so users only import decode.ts.
 */
import { LINK_TABLE, ETHERTYPE_TABLE, IPPROTO_TABLE } from './dispatch';
import { decodeEthernet } from './ethernet';
import { decodeVlan, ETHERTYPE_8021Q, ETHERTYPE_8021AD, ETHERTYPE_QINQ_9100 } from './vlan';
import { decodeSll } from './sll';
import { decodeSll2 } from './sll2';
import { decodeNull } from './null';
import { decodeRaw, decodeRawIpv4, decodeRawIpv6 } from './raw';
import { decodeIpv4, ETHERTYPE_IPV4 } from './ipv4';
import { decodeIpv6, ETHERTYPE_IPV6, NH_NONE } from './ipv6';
import { decodeTcp } from './tcp';
import { decodeUdp } from './udp';
import { decodeIcmp } from './icmp';
import { decodeIcmpv6 } from './icmpv6';
import { decodeIpInIp, decodeNoNextHeader } from './tunnel';
import { decodePppoe, ETHERTYPE_PPPOE_SESSION } from './pppoe';
import { decodeMpls, ETHERTYPE_MPLS_UC, ETHERTYPE_MPLS_MC } from './mpls';
import { decodeEtag, decodeVntag, ETHERTYPE_ETAG, ETHERTYPE_VNTAG } from './etag';
import { decodeGre } from './gre';
import { decodeVxlan, VXLAN_PORT } from './vxlan';
import { decodeGeneve, GENEVE_PORT } from './geneve';
import { decodeNflog } from './nflog';
import { decodeRadiotap, decodeWlan } from './wlan';
import { registerUdpTunnel } from './dispatch';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_ICMPV6 } from './packet';

/** LINKTYPE numbers (tcpdump.org registry; decoders do not import src/io/linktypes.ts). */
export const LINK_NULL = 0, LINK_ETHERNET = 1, LINK_RAW_12 = 12, LINK_RAW_14 = 14, LINK_RAW = 101,
  LINK_LOOP = 108, LINK_SLL = 113, LINK_IPV4 = 228, LINK_IPV6 = 229, LINK_SLL2 = 276,
  LINK_IEEE802_11 = 105, LINK_RADIOTAP = 127, LINK_NFLOG = 239;

// link type -> link decoder
LINK_TABLE[LINK_NULL] = decodeNull;
LINK_TABLE[LINK_ETHERNET] = decodeEthernet;
LINK_TABLE[LINK_RAW_12] = decodeRaw;
LINK_TABLE[LINK_RAW_14] = decodeRaw;
LINK_TABLE[LINK_RAW] = decodeRaw;
LINK_TABLE[LINK_LOOP] = decodeNull;
LINK_TABLE[LINK_SLL] = decodeSll;
LINK_TABLE[LINK_IPV4] = decodeRawIpv4;
LINK_TABLE[LINK_IPV6] = decodeRawIpv6;
LINK_TABLE[LINK_SLL2] = decodeSll2;
LINK_TABLE[LINK_IEEE802_11] = decodeWlan;
LINK_TABLE[LINK_RADIOTAP] = decodeRadiotap;
LINK_TABLE[LINK_NFLOG] = decodeNflog;

// ethertype -> L3 decoder
ETHERTYPE_TABLE[ETHERTYPE_IPV4] = decodeIpv4;
ETHERTYPE_TABLE[ETHERTYPE_IPV6] = decodeIpv6;
ETHERTYPE_TABLE[ETHERTYPE_8021Q] = decodeVlan;
ETHERTYPE_TABLE[ETHERTYPE_8021AD] = decodeVlan;
ETHERTYPE_TABLE[ETHERTYPE_QINQ_9100] = decodeVlan;
ETHERTYPE_TABLE[ETHERTYPE_PPPOE_SESSION] = decodePppoe;
ETHERTYPE_TABLE[ETHERTYPE_MPLS_UC] = decodeMpls;
ETHERTYPE_TABLE[ETHERTYPE_MPLS_MC] = decodeMpls;
ETHERTYPE_TABLE[ETHERTYPE_ETAG] = decodeEtag;
ETHERTYPE_TABLE[ETHERTYPE_VNTAG] = decodeVntag;

// IP protocol -> L4 decoder
IPPROTO_TABLE[PROTO_ICMP] = decodeIcmp;
IPPROTO_TABLE[4] = decodeIpInIp;            // IPv4 in IP (tunnel.ts)
IPPROTO_TABLE[PROTO_TCP] = decodeTcp;
IPPROTO_TABLE[PROTO_UDP] = decodeUdp;
IPPROTO_TABLE[41] = decodeIpInIp;           // IPv6 in IP (tunnel.ts)
IPPROTO_TABLE[47] = decodeGre;
IPPROTO_TABLE[PROTO_ICMPV6] = decodeIcmpv6;
IPPROTO_TABLE[NH_NONE] = decodeNoNextHeader;

// UDP destination port -> tunnel decoder (only with DecodeContext.tunnels)
registerUdpTunnel(VXLAN_PORT, decodeVxlan);
registerUdpTunnel(GENEVE_PORT, decodeGeneve);

// Fail loudly at load time if a decoder is missing (e.g. a half-written build output): a hole in a
// table would otherwise surface as a TypeError in the middle of traffic.
for (const t of [LINK_TABLE, ETHERTYPE_TABLE, IPPROTO_TABLE]) {
  for (let i = 0; i < t.length; i++) if (typeof t[i] !== 'function') throw new Error(`decoders/registry: entry ${i} is not a decoder`);
}

export const SUPPORTED_LINKTYPES: readonly number[] = [LINK_NULL, LINK_ETHERNET, LINK_RAW_12, LINK_RAW_14, LINK_RAW, LINK_LOOP, LINK_SLL, LINK_IPV4, LINK_IPV6, LINK_SLL2, LINK_IEEE802_11, LINK_RADIOTAP, LINK_NFLOG];
