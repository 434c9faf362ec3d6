/**
 * SQLite writer thread: owns the database connection (node:sqlite is synchronous, so it must
 * not run on the thread that sends verdicts). Receives batches of row tuples, inserts each batch
 * in one transaction, and acknowledges with the number of rows written so the sink can keep its
 * in-flight bound.
 *
 * node:sqlite (built into Node >= 22.5, SQLite 3.5x bundled with Node) rather than a native npm
 * package: nothing to compile at install time, and no addon tied to one Node ABI (docs/sqlite.md).
 *
 * Messages in:  {t:'rows', alerts: AlertRow[], flows: FlowRow[]} | {t:'close'}
 * Messages out: {t:'ready'} | {t:'done', rows, ms} | {t:'error', message, rows} | {t:'closed'}
 */
import { parentPort, workerData } from 'worker_threads';
import { DatabaseSync } from 'node:sqlite';
import { SCHEMA_SQL, SCHEMA_VERSION, INSERT_ALERT, INSERT_FLOW, AlertRow, FlowRow } from './sqlite-schema';

interface Init { file: string; synchronous: 'NORMAL' | 'FULL' | 'OFF' }

const { file, synchronous } = workerData as Init;
const port = parentPort!;
let db: DatabaseSync;
try {
  db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${synchronous}`);
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec(SCHEMA_SQL);
  db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
} catch (e) {
  port.postMessage({ t: 'fatal', message: (e as Error).message });
  process.exit(1);
}
const insA = db.prepare(INSERT_ALERT);
const insF = db.prepare(INSERT_FLOW);
/** One transaction per batch: all rows or none (a failed batch is rolled back and reported). */
function insertBatch(alerts: AlertRow[], flows: FlowRow[]): void {
  db.exec('BEGIN');
  try {
    for (const r of alerts) insA.run(...r);
    for (const r of flows) insF.run(...r);
    db.exec('COMMIT');
  } catch (e) {
    try { db.exec('ROLLBACK'); } catch { /* the error below is the one to report */ }
    throw e;
  }
}
port.postMessage({ t: 'ready' });

port.on('message', (m: { t: string; alerts?: AlertRow[]; flows?: FlowRow[] }) => {
  if (m.t === 'rows') {
    const rows = (m.alerts?.length ?? 0) + (m.flows?.length ?? 0);
    const t0 = Date.now();
    try {
      insertBatch(m.alerts ?? [], m.flows ?? []);
      port.postMessage({ t: 'done', rows, ms: Date.now() - t0 });
    } catch (e) {
      port.postMessage({ t: 'error', rows, message: (e as Error).message });
    }
  } else if (m.t === 'close') {
    try { db.exec('PRAGMA wal_checkpoint(TRUNCATE)'); db.close(); } catch { /* closing anyway */ }
    port.postMessage({ t: 'closed' });
    port.close();
  }
});
