import { KeywordDef, ALL_PROTOS } from './types';
export const PAYLOAD: KeywordDef[] = [
  { name: 'payload', type: 'buffer', protos: ALL_PROTOS, doc: 'L4 payload of the packet (for `quell scan`: the whole file). Unbound strings mean payload.' },
  { name: 'stream', type: 'buffer', protos: ['tcp', 'http'], doc: 'reassembled TCP stream data of the packet\'s direction (per flow direction)' },
];
