import { KeywordDef } from './types';
export const TCP: KeywordDef[] = [
  { name: 'tcp.sport', type: 'num', protos: ['tcp', 'http'], doc: 'TCP source port' },
  { name: 'tcp.dport', type: 'num', protos: ['tcp', 'http'], doc: 'TCP destination port' },
  { name: 'tcp.flags', type: 'num', protos: ['tcp', 'http'], doc: 'TCP flags byte (FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32)' },
];
