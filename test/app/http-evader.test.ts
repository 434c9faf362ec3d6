/**
 * suricata-verify's http-evader cases (noxxi.de HTTP evader: 301 captures of a server hiding the
 * EICAR file behind framing tricks browsers still accept). Suricata's truth: the file data is
 * found in every case. Here: the response body quell's parser extracts (de-chunked) contains the
 * EICAR prefix, after the test itself undoes gzip/deflate content coding (not the parser's job).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { SHARED_PCAPS } from '../helpers/paths';
import { readFlows, replayTcp } from './flowdata';
import { HttpParser, HTTP_TX_DONE } from '../../decoders/app/http';

const DIR = path.join(SHARED_PCAPS, 'suricata-verify', 'tests', 'http-evader');
const EICAR = 'X5O!P%@AP[4';

function decodings(b: Buffer): Buffer[] {
  const out = [b];
  const fns = [zlib.gunzipSync, zlib.inflateSync, zlib.inflateRawSync];
  const opts = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  for (const f of fns) { try { out.push(f(b, opts)); } catch { /* not this coding */ } }
  for (const x of out.slice(1)) for (const f of fns) { try { out.push(f(x, opts)); } catch { /* idem */ } }
  return out;
}

test('http-evader: the EICAR body is recovered through the framing evasions', async () => {
  const cases = fs.readdirSync(DIR).filter((c) => fs.existsSync(path.join(DIR, c, 'input.pcap'))).sort();
  assert.ok(cases.length >= 300, `cases ${cases.length}`);
  const missed: string[] = [];
  for (const c of cases) {
    const flows = await readFlows(path.join(DIR, c, 'input.pcap'));
    let hit = false;
    for (const f of flows) {
      if (f.proto !== 6) continue;
      const p = new HttpParser();
      p.onTx = (tx, what) => {
        if (what !== HTTP_TX_DONE || hit) return;
        const body = Buffer.from(tx.res.body.subarray(0, tx.res.bodyLen));
        if (decodings(body).some((d) => d.includes(EICAR))) hit = true;
      };
      replayTcp(f, (dir, data) => p.feed(dir, data, 0, data.length, 0));
      p.finish();
    }
    if (!hit) missed.push(c);
  }
  const found = cases.length - missed.length;
  console.log(`http-evader: ${found}/${cases.length} bodies recovered; missed: ${missed.join(' ')}`);
  // measured 272/301; most misses are content-coding tricks (broken gzip headers, nested codings)
  assert.ok(found >= 265, `found ${found}`);
});
