import { KeywordDef } from './types';
export const DNS: KeywordDef[] = [
  { name: 'dns.query', type: 'buffer', protos: ['dns'], doc: 'first question name, lower-cased, dotted (www.example.com)' },
  { name: 'dns.answers', type: 'buffer', protos: ['dns'], doc: 'answer records\' names and data as text, one per line' },
];
