// Replay decides as the server does: the same packets sent to a live dnsward and replayed from a capture of that
// exchange give the same decision, rule, reason and rcode, one by one (CHAOS/ANY class, malformed, rate limits).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDnsward } from '../helpers/dnsward.js';
import { udpExchange } from '../helpers/udp-query.js';
import { dnsMessage, ethernet, ipv4, pcapFile, tempCapture, udp } from '../unit/pcap/capture-builder.js';
import { loadConfig } from '../../src/config/load.js';
import type { QueryEvent } from '../../src/model/query-event.js';
import { replayCaptures } from '../../src/pcap/replay.js';
import { openDatabase } from '../../src/store/database.js';
import { scanQueries } from '../../src/store/query-log-reader.js';

const CLIENT = '127.0.0.1';
const BURST = 4;

function withClass(message: Buffer, qclass: number): Buffer {
  const out = Buffer.from(message);
  out.writeUInt16BE(qclass, out.length - 2);
  return out;
}

/** The packets, in order: each kind of early exit, then a burst past the agent's bucket. */
function packets(): Buffer[] {
  const twoQuestions = dnsMessage(3, 'two.example.test');
  twoQuestions.writeUInt16BE(2, 4);
  const status = dnsMessage(4, 'status.example.test');
  status.writeUInt16BE(0x1100, 2); // opcode 2 (STATUS)
  const burst = Array.from({ length: BURST + 3 }, (_, i) => dnsMessage(10 + i, `n${i}.burst.example.test`));
  return [
    withClass(dnsMessage(1, 'version.bind', 16), 3), // CHAOS TXT
    withClass(dnsMessage(2, 'any-class.example.test'), 255), // class ANY
    twoQuestions, // FORMERR
    status, // NOTIMP
    dnsMessage(5, 'null.example.test', 10), // NULL: qtype-not-allowed, answered NODATA (L3), takes a token
    ...burst, // denied until the bucket is empty, then rate-limited
  ];
}

/** A capture of the exchange: each query from its own client port to port 53, and the answer if one came. */
function capture(exchanged: readonly { query: Buffer; answer: Buffer | null }[]): string {
  const frames = [];
  const start = 1_790_000_000;
  for (const [i, { query, answer }] of exchanged.entries()) {
    const port = 40_000 + i;
    const nanos = i * 1_000_000;
    frames.push({
      seconds: start,
      nanos,
      data: ethernet(0x0800, ipv4(CLIENT, CLIENT, 17, udp(port, 53, query))),
    });
    if (answer) {
      const data = ethernet(0x0800, ipv4(CLIENT, CLIENT, 17, udp(53, port, answer)));
      frames.push({ seconds: start, nanos: nanos + 500_000, data });
    }
  }
  return tempCapture('exchange.pcap', pcapFile(frames, { linkType: 1 }));
}

const verdict = (e: QueryEvent): string => `${e.qname} ${e.decision} ${e.ruleId} ${e.reason} ${e.rcode}`;

describe('replay and the live server decide alike', () => {
  it('gives each packet the decision, rule and rcode the server gave it', async () => {
    const config = {
      identity: { defaultGroup: 'agents' },
      // a bucket that does not refill within the test: the burst is limited in both, whatever the timing
      groups: [
        { name: 'agents', tier: 3, clients: ['127.0.0.0/8'], rateLimit: { qps: 0.001, burst: BURST } },
      ],
    };
    const server = await startDnsward(config);
    const exchanged: { query: Buffer; answer: Buffer | null }[] = [];
    try {
      for (const query of packets()) exchanged.push({ query, answer: await udpExchange(server.port, query) });
    } finally {
      await server.stop();
    }
    const db = openDatabase(server.dbPath);
    const live = [...scanQueries(db, {})];
    db.close();

    const replayed: QueryEvent[] = [];
    const report = await replayCaptures([capture(exchanged)], {
      loaded: loadConfig(server.configPath),
      onEvent: (event) => replayed.push(event),
    });

    assert.equal(live.length, exchanged.length);
    assert.deepEqual(replayed.map(verdict), live.map(verdict));
    assert.deepEqual(
      live.map((e) => e.decision),
      [
        'refused-class',
        'refused-class',
        'malformed',
        'not-implemented',
        ...Array<string>(BURST).fill('deny'),
        ...Array<string>(4).fill('rate-limited'),
      ],
    );
    assert.equal(report.decisions['refused-class'], 2);
    assert.equal(report.rcodes.REFUSED, 2 + 4);
    // L3: a qtype denial is NODATA in both, not NXDOMAIN
    const qtypeDenied = live[4];
    assert.ok(qtypeDenied);
    assert.equal(qtypeDenied.reason, 'qtype-not-allowed');
    assert.equal(qtypeDenied.rcode, 'NOERROR');
    assert.equal(report.rcodes.NOERROR, 1);
  });
});
