/**
 * Decode events: malformed or notable input becomes a named event on the packet, never an
 * exception. Rules match them as booleans (`event.ipv4.bad_hlen`), `quell decode` lists them,
 * `--stats` counts them.
 *
 * Registry: one line per event. The numeric id is the index in EVENT_NAMES; ids are stable
 * within a build only (rulesets are compiled against names). Add new events at the end.
 */
export const EVENT_NAMES = [
  'none',
  // link layer
  'link.unsupported',          // link type we do not decode
  'link.truncated',            // shorter than the link header
  'ether.truncated',
  'vlan.truncated',
  'vlan.too_many',             // more stacked tags than MAX_VLAN
  'sll.truncated',
  'sll2.truncated',
  'null.truncated',
  'null.unknown_family',
  'l3.unsupported',            // ethertype / family we do not decode
  // IPv4
  'ipv4.truncated',            // fewer bytes than a minimal header
  'ipv4.bad_version',
  'ipv4.bad_hlen',             // IHL < 5 or header longer than the packet
  'ipv4.bad_total_len',        // total length < header length
  'ipv4.trunc_pkt',            // total length larger than captured bytes
  'ipv4.bad_checksum',
  'ipv4.opt_bad',              // malformed option
  'ipv4.frag',                 // packet is a fragment
  'ipv4.frag_overlap',
  'ipv4.frag_too_large',       // reassembled datagram would exceed 65535
  'ipv4.frag_memcap',          // reassembly memory limit hit, fragment dropped from reassembly
  'ipv4.frag_timeout',
  'ipv4.reassembled',          // this packet completed a datagram
  // IPv6
  'ipv6.truncated',
  'ipv6.bad_version',
  'ipv6.trunc_pkt',            // payload length larger than captured bytes
  'ipv6.exthdr_too_many',      // more extension headers than MAX_IPV6_EXTHDRS
  'ipv6.exthdr_truncated',
  'ipv6.frag',
  'ipv6.frag_overlap',
  'ipv6.frag_too_large',
  'ipv6.frag_memcap',
  'ipv6.frag_timeout',
  'ipv6.reassembled',
  // TCP
  'tcp.truncated',
  'tcp.bad_offset',            // data offset < 5 or beyond the segment
  'tcp.opt_bad',
  'tcp.bad_checksum',
  // UDP
  'udp.truncated',
  'udp.bad_len',
  'udp.bad_checksum',
  // ICMP
  'icmp.truncated',
  'icmpv6.truncated',
  // tunnels / others, decoded only as far as noted
  'l4.unsupported',
  // added by the L2-L4 decoders (append only)
  'icmp.bad_checksum',
  'icmpv6.bad_checksum',
  'ipv4.frag_too_many',        // more fragments than MAX_FRAGS_PER_DATAGRAM
  'ipv6.frag_too_many',
  'ipv4.frag_bad_len',         // non-last fragment whose payload is not a multiple of 8
  'ipv6.frag_bad_len',
  'ip.tunnel',                 // IP-in-IP (proto 4/41): only the outer header is decoded
  'ipv4.frag_dup',             // exact duplicate fragment, ignored by reassembly
  'ipv6.frag_dup',
  'ipv6.bad_payload_len',      // payload length 0 without a jumbo option, or shorter than the ext headers
  'ether.llc',                 // 802.3 frame with a length field and no SNAP ethertype: no L3 decoded
  'pppoe.truncated',
  'mpls.truncated',
  'mpls.too_many',             // more labels than MAX_MPLS_LABELS
  'etag.truncated',
  'vntag.truncated',
  'tunnel.decoded',            // the view describes a packet inside a tunnel (tunnelKind/tunnelDepth)
  'tunnel.too_deep',           // more nested tunnels than MAX_TUNNEL_DEPTH: the last one is payload
  'gre.truncated',
  'gre.unsupported',           // GRE version, routing or protocol type not decoded: payload only
  'ppp.unsupported',           // PPP protocol other than IPv4/IPv6 (LCP, CCP...): payload only
  'vxlan.truncated',
  'geneve.truncated',
  'nflog.truncated',
  'nflog.no_payload',          // no NFULA_PAYLOAD attribute or unknown family
  'radiotap.truncated',
  'wlan.truncated',
  'wlan.not_data',             // management/control/protected/null frame: no L3 decoded
] as const;

export type EventName = (typeof EVENT_NAMES)[number];
export const EV: { [K in EventName]: number } = Object.fromEntries(EVENT_NAMES.map((n, i) => [n, i])) as never;
export const EVENT_COUNT = EVENT_NAMES.length;
