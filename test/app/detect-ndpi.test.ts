/**
 * Protocol detection against nDPI's labels (shared/pcaps/ndpi/*.out): of the flows nDPI labels
 * HTTP (HTTP or HTTP.*) or DNS (DNS or DNS.*), quell must label >= 98% the same; of the flows nDPI
 * labels anything else, at most 1% may get http/dns. Detection = detectApp() on the first bytes
 * of each direction, then guessAppByPort() where the content could not be seen (see detect.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureNdpi } from './ndpi-measure';

test('detection agrees with nDPI on HTTP and DNS flows (recall >= 98%, false positives <= 1%)', async () => {
  const m = await measureNdpi();
  const truth = m.truthHttp + m.truthDns;
  const recall = (m.hitHttp + m.hitDns) / truth;
  const fp = m.falsePos / m.other;
  console.log(`ndpi: files=${m.files} flows=${m.flows} http ${m.hitHttp}/${m.truthHttp} dns ${m.hitDns}/${m.truthDns} ` +
    `recall=${(100 * recall).toFixed(2)}% false-pos ${m.falsePos}/${m.other}=${(100 * fp).toFixed(2)}% ` +
    `content-only: recall=${(100 * m.contentOnly.hit / truth).toFixed(2)}% false-pos=${(100 * m.contentOnly.falsePos / m.other).toFixed(2)}%`);
  for (const s of m.misses.slice(0, 10)) console.log('miss', s);
  for (const s of m.fps.slice(0, 20)) console.log('fp  ', s);
  assert.ok(m.files >= 250 && truth >= 1000 && m.other >= 1000, `${m.files} files, ${truth} truth flows`);
  assert.ok(recall >= 0.98, `recall ${recall}`);
  assert.ok(fp <= 0.01, `false positives ${fp}`);
  // content detection alone (no port use) must already be precise
  assert.ok(m.contentOnly.falsePos / m.other <= 0.01, `content-only false positives ${m.contentOnly.falsePos}`);
});
