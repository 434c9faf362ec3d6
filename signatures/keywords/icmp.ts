import { KeywordDef } from './types';
export const ICMP: KeywordDef[] = [
  { name: 'icmp.type', type: 'num', protos: ['icmp'], doc: 'ICMP / ICMPv6 type' },
  { name: 'icmp.code', type: 'num', protos: ['icmp'], doc: 'ICMP / ICMPv6 code' },
];
