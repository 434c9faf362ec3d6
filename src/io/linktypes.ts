/**
 * Link-layer header types as written in capture files (tcpdump.org LINKTYPE_* registry).
 *
 * The numbers are what classic pcap headers and pcapng IDBs carry and what readers put in
 * desc[D_LINK]. A few BSD DLT_* values differ from the LINKTYPE_* numbers (DLT_RAW is 12 on most
 * systems and 14 on OpenBSD, LINKTYPE_RAW is 101); files in the wild contain all three, so the
 * aliases are listed too. Readers never translate: desc[D_LINK] is the number in the file, and
 * decoders use `isRawIp()` / `linkTypeName()` to treat aliases alike.
 */
export const LINKTYPE_NULL = 0;          // BSD loopback: 4-byte address family in host byte order
export const LINKTYPE_ETHERNET = 1;      // Ethernet II / 802.3 (VLAN tags inside)
export const LINKTYPE_IEEE802_5 = 6;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_FDDI = 10;
export const DLT_RAW_12 = 12;            // DLT_RAW on most BSDs and Linux libpcap: raw IPv4/IPv6
export const DLT_RAW_14 = 14;            // DLT_RAW on OpenBSD
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_PPP_ETHER = 51;
export const LINKTYPE_ATM_RFC1483 = 100;
export const LINKTYPE_RAW = 101;         // raw IP, version from the first nibble
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_FRELAY = 107;
export const LINKTYPE_LOOP = 108;        // OpenBSD loopback: 4-byte address family, network byte order
export const LINKTYPE_LINUX_SLL = 113;   // Linux cooked capture v1 (16-byte header)
export const LINKTYPE_PFLOG = 117;
export const LINKTYPE_IEEE802_11_PRISM = 119;
export const LINKTYPE_IP_OVER_FC = 122;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
export const LINKTYPE_ARCNET_LINUX = 129;
export const LINKTYPE_PPI = 192;
export const LINKTYPE_IEEE802_15_4 = 195;
export const LINKTYPE_USB_LINUX_MMAPPED = 220;
export const LINKTYPE_IPV4 = 228;        // raw IPv4 only
export const LINKTYPE_IPV6 = 229;        // raw IPv6 only
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_NETANALYZER = 240;
export const LINKTYPE_IPNET = 226;
export const LINKTYPE_LINUX_SLL2 = 276;  // Linux cooked capture v2 (20-byte header)

/**
 * Mask for the link type field of a classic pcap header: the upper bits may carry FCS length
 * information (libpcap LT_LINKTYPE), which is not part of the link type.
 */
export const LINKTYPE_MASK = 0x03ffffff;

const NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [LINKTYPE_NULL, 'null'],
  [LINKTYPE_ETHERNET, 'ether'],
  [LINKTYPE_IEEE802_5, 'tokenring'],
  [LINKTYPE_PPP, 'ppp'],
  [LINKTYPE_FDDI, 'fddi'],
  [DLT_RAW_12, 'raw'],
  [DLT_RAW_14, 'raw'],
  [LINKTYPE_PPP_HDLC, 'ppp-hdlc'],
  [LINKTYPE_PPP_ETHER, 'pppoe'],
  [LINKTYPE_ATM_RFC1483, 'atm-rfc1483'],
  [LINKTYPE_RAW, 'raw'],
  [LINKTYPE_C_HDLC, 'chdlc'],
  [LINKTYPE_IEEE802_11, 'ieee802_11'],
  [LINKTYPE_FRELAY, 'frelay'],
  [LINKTYPE_LOOP, 'loop'],
  [LINKTYPE_LINUX_SLL, 'sll'],
  [LINKTYPE_PFLOG, 'pflog'],
  [LINKTYPE_IEEE802_11_PRISM, 'ieee802_11-prism'],
  [LINKTYPE_IP_OVER_FC, 'ip-over-fc'],
  [LINKTYPE_IEEE802_11_RADIOTAP, 'ieee802_11-radiotap'],
  [LINKTYPE_ARCNET_LINUX, 'arcnet'],
  [LINKTYPE_PPI, 'ppi'],
  [LINKTYPE_IEEE802_15_4, 'ieee802_15_4'],
  [LINKTYPE_USB_LINUX_MMAPPED, 'usb-linux-mmapped'],
  [LINKTYPE_IPNET, 'ipnet'],
  [LINKTYPE_IPV4, 'ipv4'],
  [LINKTYPE_IPV6, 'ipv6'],
  [LINKTYPE_NFLOG, 'nflog'],
  [LINKTYPE_NETANALYZER, 'netanalyzer'],
  [LINKTYPE_LINUX_SLL2, 'sll2'],
]);

/** Short lower-case name (used in `quell decode` output as "link"); `linktype-N` when unknown. */
export function linkTypeName(linktype: number): string {
  return NAMES.get(linktype) ?? `linktype-${linktype}`;
}

/** True for the raw-IP link types whose first byte is an IP header (12, 14, 101, 228, 229). */
export function isRawIp(linktype: number): boolean {
  return linktype === LINKTYPE_RAW || linktype === DLT_RAW_12 || linktype === DLT_RAW_14 ||
    linktype === LINKTYPE_IPV4 || linktype === LINKTYPE_IPV6;
}

/** The link types Quell's decoders handle (others become an unsupported-link event). */
export function isSupportedLinkType(linktype: number): boolean {
  return linktype === LINKTYPE_ETHERNET || linktype === LINKTYPE_NULL || linktype === LINKTYPE_LOOP ||
    linktype === LINKTYPE_LINUX_SLL || linktype === LINKTYPE_LINUX_SLL2 || isRawIp(linktype);
}
