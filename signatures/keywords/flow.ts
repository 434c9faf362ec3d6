import { KeywordDef, ALL_PROTOS } from './types';
export const FLOW: KeywordDef[] = [
  { name: 'flow.established', type: 'bool', protos: ALL_PROTOS, doc: 'the flow completed its handshake (TCP) or saw both directions (UDP)' },
  { name: 'flow.to_server', type: 'bool', protos: ALL_PROTOS, doc: 'packet goes from the flow initiator to the responder' },
  { name: 'flow.to_client', type: 'bool', protos: ALL_PROTOS, doc: 'packet goes from the responder to the initiator' },
  { name: 'flow.bytes', type: 'num', protos: ALL_PROTOS, doc: 'payload bytes seen in the flow so far (both directions)' },
  { name: 'flow.pkts', type: 'num', protos: ALL_PROTOS, doc: 'packets seen in the flow so far' },
  { name: 'flow.age', type: 'num', protos: ALL_PROTOS, doc: 'seconds since the flow\'s first packet' },
];
