/**
 * Reading a quell SQLite output in tests, with node:sqlite. Rows come back as plain objects (node:sqlite
 * returns null-prototype ones, which assert's strict deepEqual tells apart from object literals).
 */
import { DatabaseSync } from 'node:sqlite';

export type Row = Record<string, unknown>;
type Param = string | number | bigint | null;
export interface ReadDb { all(sql: string, ...params: Param[]): Row[]; get(sql: string, ...params: Param[]): Row | undefined; close(): void }

/** Opens FILE read-only; throws if it does not exist. The caller closes it. */
export function openReadOnly(file: string): ReadDb {
  const db = new DatabaseSync(file, { readOnly: true });
  return {
    all: (sql, ...p) => db.prepare(sql).all(...p).map((r) => ({ ...r })),
    get: (sql, ...p) => { const r = db.prepare(sql).get(...p); return r === undefined ? undefined : { ...r }; },
    close: () => db.close(),
  };
}
