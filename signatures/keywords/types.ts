/**
 * Keyword/field registry types. One file per keyword family (payload.ts, ip.ts, tcp.ts, ...),
 * one line per family in registry.ts. `quell check --list-keywords` and docs/keywords.md are
 * generated from the registry (scripts: `node dist/signatures/keywords/gen-doc.js`).
 */
/** `buffer`: bytes a string can be bound to (`$a = "x" in http.uri`) and compared in conditions.
 *  `bytes`: a byte-string field (conditions only). `num`: integer. `bool`. `ip`: an address. */
export type FieldType = 'buffer' | 'bytes' | 'num' | 'bool' | 'ip';
/** Scope protocols (`scope: proto = ...`). */
export type Proto = 'ip' | 'tcp' | 'udp' | 'icmp' | 'http' | 'dns';
export const ALL_PROTOS: Proto[] = ['ip', 'tcp', 'udp', 'icmp', 'http', 'dns'];

export interface KeywordDef {
  name: string;
  type: FieldType;
  /** protocols whose packets can have this field */
  protos: Proto[];
  /** takes a key: http.header["Name"] */
  keyed?: boolean;
  /** a byte field whose value is a decimal number (http.status): compared with a number by
   *  `== != < <= > >=` it compares numerically (FieldSource.num, else its text parsed) */
  numText?: boolean;
  doc: string;
}
