// listen.udpEngine forced either way: the server says which engine it runs and answers over UDP with it.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { udpQuery } from '../helpers/udp-query.js';

describe('listen.udpEngine', () => {
  const servers: Dnsward[] = [];
  after(() => Promise.all(servers.map((s) => s.stop())));

  for (const engine of ['dgram', 'native'] as const) {
    it(`${engine}: logged at start, and denied names are answered over UDP`, async () => {
      const server = await startDnsward(
        { identity: { defaultGroup: 'agents' }, groups: [{ name: 'agents', tier: 3 }] },
        {},
        { udpEngine: engine },
      );
      servers.push(server);
      assert.match(server.output(), new RegExp(`"udpEngine":"${engine}"`));
      for (let n = 0; n < 20; n++) {
        const reply = await udpQuery(server.port, `q${n}.denied.test`, { timeoutMs: 2000 });
        assert.equal(reply?.rcode, 'NXDOMAIN', `query ${n}`);
      }
    });
  }
});
