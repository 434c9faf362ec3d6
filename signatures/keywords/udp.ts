import { KeywordDef } from './types';
export const UDP: KeywordDef[] = [
  { name: 'udp.sport', type: 'num', protos: ['udp', 'dns'], doc: 'UDP source port' },
  { name: 'udp.dport', type: 'num', protos: ['udp', 'dns'], doc: 'UDP destination port' },
];
