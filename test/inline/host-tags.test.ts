/**
 * Host tags inline (`quell run`, real engine, real NFQUEUE, as root in two network namespaces):
 * an HTTP request with a scanner user agent tags its source address for 3 s (wall clock, the
 * packets' receive time); a second rule drops the SYNs of that address while the tag lives. Another
 * client address is not affected, and after the expiry the tagged address connects again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { NetnsPair, netnsAvailability, waitFor } from '../helpers/netns';
import { startQuell, startHttpServer, tmpDir, applyIptables, sleep, CurlResult } from './helpers';
import { rulesCompilerAvailable } from '../../src/inline/engine-host';

const avail = netnsAvailability();
const skip = avail.ok ? (rulesCompilerAvailable() ? false : 'skipped: no rule compiler adapter for the engine') : `skipped: ${avail.reason}`;

const EXPIRE_MS = 3000;
const RULES = `
rule tag_scanner {
  condition: http.user_agent contains "sqlmap" and host(src).tag("scanner", expire = ${EXPIRE_MS}ms)
  action: alert
}
rule drop_tagged {
  condition: tcp.dport == 8080 and tcp.flags == 0x02 and host(src).has("scanner")
  action: drop
}
`;

function curlFrom(pair: NetnsPair, from: string, url: string, maxTime: number, ua?: string): CurlResult {
  const args = ['-s', '-S', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', String(maxTime), '--interface', from];
  if (ua) args.push('-A', ua);
  const t0 = Date.now();
  const r = pair.exec(pair.client, 'curl', [...args, url], { timeoutMs: (maxTime + 5) * 1000 });
  return { exit: r.status ?? -1, code: String(r.stdout ?? ''), ms: Date.now() - t0, stderr: String(r.stderr ?? '') };
}

test('inline: host(src).tag on an HTTP request, host(src).has drops the same host\'s later connections until the tag expires', { skip, timeout: 90_000 }, async () => {
  const dir = tmpDir('hosttags');
  const pair = NetnsPair.create('t');
  try {
    const rules = path.join(dir, 'rules.ql');
    fs.writeFileSync(rules, RULES);
    await startHttpServer(pair, dir);
    await applyIptables(pair, ['--queues', '0']);
    const q = await startQuell(pair, ['--queues', '0', '--rules', rules], dir);
    try {
      const url = `http://${pair.serverAddr}:8080/hello.txt`;
      const [good, scanner] = pair.clientAddrs;
      assert.equal(curlFrom(pair, scanner, url, 3).code, '200', 'before any tag the scanner address connects');
      const tagged = curlFrom(pair, scanner, url, 3, 'sqlmap/1.7#stable (https://sqlmap.org)');
      const taggedAt = Date.now();
      assert.equal(tagged.code, '200', 'the tagging request itself passes (alert only)');
      assert.ok(await waitFor(() => q.events().some((e) => e.event_type === 'alert' && e.alert.rule === 'tag_scanner'), 3000), 'alert for the tagging rule');
      // while the tag lives: the scanner's SYNs are dropped, the other client is not affected
      const blocked = curlFrom(pair, scanner, url, 1);
      assert.equal(blocked.exit, 28, `tagged host should time out: ${JSON.stringify(blocked)}`);
      assert.equal(curlFrom(pair, good, url, 3).code, '200', 'an untagged address connects');
      assert.ok(Date.now() - taggedAt < EXPIRE_MS, 'the checks above ran within the tag\'s lifetime');
      // after the expiry (wall clock): the scanner connects again
      await sleep(Math.max(0, taggedAt + EXPIRE_MS + 500 - Date.now()));
      assert.equal(curlFrom(pair, scanner, url, 3).code, '200', 'after the expiry the tagged address connects again');
      assert.ok(await waitFor(() => q.events().some((e) => e.event_type === 'alert' && e.alert.rule === 'drop_tagged'), 3000), 'alert for the drop rule');
    } finally {
      assert.equal(await q.stop('SIGTERM'), 0, q.stderr());
    }
  } finally {
    pair.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
