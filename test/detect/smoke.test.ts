import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trace, TcpSession } from '../../src/io/craft';
import { writeTrace, replayEve, alerts } from './helpers';

test('smoke: http.uri rule fires once', async () => {
  const t = new Trace({ start: 1_700_000_000 });
  const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 40000, sport: 80 });
  s.handshake();
  s.send('client', 'GET /admin/login.php?x=1 HTTP/1.1\r\nHost: www.Example.com\r\nUser-Agent: sqlmap/1.0\r\n\r\n');
  s.send('server', 'HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\nhello');
  s.close();
  const f = writeTrace(t);
  const evs = await replayEve(f, `rule r1 { meta: sid = 1 msg = "admin" strings: $a = "/admin/" in http.uri condition: $a action: alert }
rule r2 { meta: sid = 2 condition: http.host == "www.example.com" action: alert }
rule r3 { meta: sid = 3 strings: $p = "hello" condition: $p action: alert }`);
  console.log(evs.filter((e) => e.event_type === 'alert').map((e) => JSON.stringify(e)).join('\n'));
  assert.equal(alerts(evs, 1).length, 1);
  assert.equal(alerts(evs, 2).length, 1);
  assert.equal(alerts(evs, 3).length, 1);
});
