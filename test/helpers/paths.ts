/**
 * Paths for tests. Compiled tests live in dist/test/...; the project root is three levels up
 * from dist/test/helpers. Shared public captures and their truth live in ../shared (never copied).
 */
import * as path from 'path';
import { spawnSync, SpawnSyncOptions } from 'child_process';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const SHARED = path.resolve(ROOT, '..', 'shared');
export const SHARED_PCAPS = path.join(SHARED, 'pcaps');
/** The compiled CLI entry (what bin/quell.js loads). */
export const QUELL_BIN = path.join(ROOT, 'bin', 'quell.js');

export interface CliResult { status: number; stdout: string; stderr: string }

/** Run the real CLI as a child process (bounded by a timeout). */
export function runQuell(args: string[], opts: SpawnSyncOptions & { input?: string | Buffer } = {}): CliResult {
  const r = spawnSync(process.execPath, [QUELL_BIN, ...args], {
    encoding: 'utf8', maxBuffer: 1 << 30, timeout: 300_000, ...opts,
  });
  return { status: r.status ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
