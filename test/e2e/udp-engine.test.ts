// listen.udpEngine forced either way: the server says which engine it runs and answers over UDP with it; the batched
// engine's counters reach /metrics.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { scrapeMetrics, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { udpQuery } from '../helpers/udp-query.js';
import { value } from '../unit/metrics/exposition.js';

const QUERIES = 20;

describe('listen.udpEngine', () => {
  const servers: Dnsward[] = [];
  after(() => Promise.all(servers.map((s) => s.stop())));

  for (const engine of ['dgram', 'native'] as const) {
    it(`${engine}: logged at start, denied names answered over UDP, batched counters on /metrics`, async () => {
      const server = await startDnsward(
        {
          identity: { defaultGroup: 'agents' },
          groups: [{ name: 'agents', tier: 3 }],
          metrics: { listen: '127.0.0.1:0' },
        },
        {},
        { udpEngine: engine },
      );
      servers.push(server);
      assert.match(server.output(), new RegExp(`"udpEngine":"${engine}"`));
      for (let n = 0; n < QUERIES; n++) {
        const reply = await udpQuery(server.port, `q${n}.denied.test`, { timeoutMs: 2000 });
        assert.equal(reply?.rcode, 'NXDOMAIN', `query ${n}`);
      }
      const m = await scrapeMetrics(server);
      const batched = (name: string): number | undefined => value(m, `dnsward_udp_batched_${name}`);
      // one query at a time: each datagram is its own batch and its own answer
      const expected = engine === 'native' ? QUERIES : 0;
      assert.equal(batched('received_total'), expected);
      assert.equal(batched('batches_total'), expected);
      assert.equal(batched('sent_total'), expected);
      assert.equal(batched('answers_dropped_total'), 0);
      assert.equal(batched('send_errors_total'), 0);
      assert.equal(batched('send_queue'), 0);
    });
  }
});
