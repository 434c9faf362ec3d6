import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from '../../src/cli/args';
import { OPS_FLAGS, opsOptionsFromArgs } from '../../src/ops/flags';
import { UsageError } from '../../src/errors';

const parse = (argv: string[]) => opsOptionsFromArgs(parseArgs(argv, OPS_FLAGS));

test('ops flags map to OpsMainOptions; usage errors are UsageError (exit 2)', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-flags-'));
  try {
    const tok = path.join(d, 'token'); fs.writeFileSync(tok, 'abcdefghijklmnopqrstuvwxyz\n');
    const o = parse(['--set', 'drop=/etc/quell/drop.txt', '--set', 'tor=/etc/quell/tor.txt', '--allow', '/etc/quell/mgmt.txt', '--set-aggregate', '24',
      '--ban-state', '/var/lib/quell/bans.json', '--control-tcp', '127.0.0.1:9901', '--control-token-file', tok, '--metrics-port', '9900',
      '--sqlite', '/var/lib/quell/ev.db', '--pcap-drops', '/tmp/d.pcap', '--gate', 'pair', '--time-zone', 'Europe/Paris', '--action-timeout', '5']);
    assert.deepEqual(o.sets, [
      { name: 'drop', role: 'block', file: '/etc/quell/drop.txt', aggregate4: 24 },
      { name: 'tor', role: 'block', file: '/etc/quell/tor.txt', aggregate4: 24 },
      { name: 'allow', role: 'allow', file: '/etc/quell/mgmt.txt' },
    ]);
    assert.equal(o.controlToken, 'abcdefghijklmnopqrstuvwxyz');
    assert.deepEqual(o.controlTcp, { host: '127.0.0.1', port: 9901 });
    assert.equal(o.controlSocket, '/run/quell/quell.sock');
    assert.equal(o.metricsPort, 9900); assert.equal(o.gateMode, 'pair'); assert.equal(o.timeZone, 'Europe/Paris');
    assert.equal(o.actions!.timeoutMs, 5000);
    assert.equal(parse(['--no-control']).controlSocket, null);
    for (const bad of [['--set', 'noequals'], ['--gate', 'up'], ['--control-tcp', '127.0.0.1:9901'], ['--time-zone', 'Nowhere/Land'],
      ['--metrics-port', '70000'], ['--set', 'a=1', '--set', 'a=2'], ['--no-control', '--control-socket', '/x']]) {
      assert.throws(() => parse(bad), UsageError, bad.join(' '));
    }
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});
