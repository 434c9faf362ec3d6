import { KeywordDef, ALL_PROTOS } from './types';
export const IP: KeywordDef[] = [
  { name: 'ip.src', type: 'ip', protos: ALL_PROTOS, doc: 'source address (IPv4 or IPv6); compare with an address, or `in` a CIDR set' },
  { name: 'ip.dst', type: 'ip', protos: ALL_PROTOS, doc: 'destination address' },
  { name: 'ip.proto', type: 'num', protos: ALL_PROTOS, doc: 'IP protocol number (6 = TCP, 17 = UDP, ...)' },
  { name: 'ip.ttl', type: 'num', protos: ALL_PROTOS, doc: 'IPv4 TTL / IPv6 hop limit' },
];
