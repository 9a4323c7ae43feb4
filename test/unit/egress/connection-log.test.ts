// The connection log end to end without a kernel: conntrack lines and drop-set JSON in, rows, alerts and NDJSON
// fields out (store in a temp database, detection through the alert book, qname from the answers).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConnectionDetection } from '../../../src/detect/connection-engine.js';
import { ConnectionLog } from '../../../src/egress/connection-log.js';
import { DropSetPoller, parseDropSet } from '../../../src/egress/drop-set.js';
import { OpenedBy } from '../../../src/egress/opened-by.js';
import { createLogger } from '../../../src/log/logger.js';
import type { AlertState } from '../../../src/model/alert.js';
import {
  CONNECTION_FIELDS,
  connectionJson,
  type ConnectionEvent,
} from '../../../src/model/connection-event.js';
import { AlertRepository } from '../../../src/store/alert-repository.js';
import { ConnectionRepository } from '../../../src/store/connection-repository.js';
import { openDatabase } from '../../../src/store/database.js';

const T = 1_796_227_635_000;
const dir = mkdtempSync(join(tmpdir(), 'dnsward-connlog-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const newLine = (sport: number, dst: string, id: number, ts = T / 1000): string =>
  `[${ts}.000000]\t    [NEW] tcp      6 120 SYN_SENT src=10.0.0.5 dst=${dst} sport=${sport} dport=443 [UNREPLIED] src=${dst} dst=10.0.0.5 sport=443 dport=${sport} id=${id}`;
const destroyLine = (sport: number, dst: string, id: number, ts: number, out: number, back: number): string =>
  `[${ts}.250000]\t[DESTROY] tcp      6 TIME_WAIT src=10.0.0.5 dst=${dst} sport=${sport} dport=443 packets=9 bytes=${out} src=${dst} dst=10.0.0.5 sport=443 dport=${sport} packets=7 bytes=${back} [ASSURED] delta-time=3 id=${id}`;

const DROP_JSON = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6' } },
    {
      set: {
        family: 'inet',
        name: 'egress_dropped_v4',
        table: 'dnsward',
        elem: [
          {
            elem: {
              val: { concat: ['10.0.0.5', '198.51.100.9', 'tcp', 41000, 8080] },
              expires: 115,
              counter: { packets: 2, bytes: 120 },
            },
          },
          {
            elem: {
              val: { concat: ['10.9.9.9', '198.51.100.9', 'udp', 1, 53] },
              expires: 100,
              counter: { packets: 1, bytes: 60 },
            },
          },
        ],
      },
    },
  ],
});

function setup(dbName: string): {
  log: ConnectionLog;
  repo: ConnectionRepository;
  alerts: AlertRepository;
  opened: OpenedBy;
  raised: AlertState[];
  ndjson: ConnectionEvent[];
} {
  const db = openDatabase(join(dir, dbName));
  const repo = new ConnectionRepository(db);
  const opened = new OpenedBy();
  const raised: AlertState[] = [];
  const ndjson: ConnectionEvent[] = [];
  const log = new ConnectionLog({
    identify: (address) => ({ id: address === '10.0.0.5' ? 'agent-a' : address, group: 'research', tier: 3 }),
    opened,
    sources: ['10.0.0.0/24'],
    dnsward: [{ host: '0.0.0.0', port: 53 }],
    localAddresses: ['10.0.0.1'],
    repo,
    ndjson: { writeConnections: (events) => ndjson.push(...events) },
    metrics: undefined,
    detection: new ConnectionDetection({
      db,
      suppressionWindowMs: 600_000,
      maxSamples: 5,
      maxOpen: 100,
      volume: { windowSeconds: 60, minBytes: 1_000_000, sigmas: 3, warmupBuckets: 3 },
      now: () => T,
    }),
    onAlerts: (alerts) => raised.push(...alerts),
    log: createLogger('silent'),
    now: () => T + 500,
  });
  return { log, repo, alerts: new AlertRepository(db), opened, raised, ndjson };
}

describe('ConnectionLog', () => {
  it('logs an allowed connection at DESTROY with its bytes, duration and the name that opened it', () => {
    const { log, repo, opened, raised, ndjson } = setup('allowed.db');
    opened.offer('10.0.0.5', '192.0.2.7', 'api.example.org', T, T + 60_000, 0);
    log.onConntrackLine(newLine(40000, '192.0.2.7', 1));
    log.onConntrackLine(destroyLine(40000, '192.0.2.7', 1, T / 1000 + 3, 900, 5000));
    log.flush();
    const [row] = repo.find();
    assert.deepEqual(row, {
      ts: T,
      agentId: 'agent-a',
      group: 'research',
      srcIp: '10.0.0.5',
      proto: 'tcp',
      srcPort: 40000,
      dst: '192.0.2.7',
      dstPort: 443,
      decision: 'allowed',
      bytesOut: 900,
      bytesIn: 5000,
      durationMs: 3250,
      qname: 'api.example.org',
    });
    assert.deepEqual(raised, [], 'an answered destination raises nothing');
    assert.equal(ndjson.length, 1);
    assert.deepEqual(Object.keys(connectionJson(row)), [...CONNECTION_FIELDS]);
  });

  it('raises direct-ip-egress (high) for an allowed connection no answer gave this agent, deduplicated per destination', () => {
    const { log, alerts, raised } = setup('direct.db');
    for (const [i, sport] of [40001, 40002].entries()) {
      log.onConntrackLine(newLine(sport, '203.0.113.5', 10 + i));
      log.onConntrackLine(destroyLine(sport, '203.0.113.5', 10 + i, T / 1000 + 1, 300, 100));
    }
    log.flush();
    const stored = alerts.list();
    assert.equal(stored.length, 1, 'one alert for two connections to one destination');
    assert.deepEqual(
      [
        stored[0]?.rule,
        stored[0]?.severity,
        stored[0]?.baseDomain,
        stored[0]?.count,
        stored[0]?.exposure,
        stored[0]?.bytesLeaked,
      ],
      ['direct-ip-egress', 'high', '203.0.113.5', 2, 'forwarded', 600],
    );
    assert.equal(raised[0]?.rule, 'direct-ip-egress', 'handed to the quarantine hook');
  });

  it('logs dropped flows from the drop set once each, only for agent sources', async () => {
    const { log, repo, alerts } = setup('dropped.db');
    let polls = 0;
    const poller = new DropSetPoller({
      family: 'inet',
      table: 'dnsward',
      pollMs: 1000,
      onDropped: log.onDropped,
      log: createLogger('silent'),
      list: (set) => {
        polls++;
        return Promise.resolve(set === 'egress_dropped_v4' ? DROP_JSON : '{"nftables":[]}');
      },
    });
    await poller.poll();
    await poller.poll();
    log.flush();
    assert.equal(polls, 4);
    const rows = repo.find();
    assert.equal(rows.length, 1, 'the SYN retransmits of one flow are one connection; 10.9.9.9 is no agent');
    assert.deepEqual(
      [
        rows[0]?.decision,
        rows[0]?.dst,
        rows[0]?.dstPort,
        rows[0]?.srcPort,
        rows[0]?.bytesOut,
        rows[0]?.qname,
      ],
      ['dropped', '198.51.100.9', 8080, 41000, 120, null],
    );
    assert.equal(alerts.list()[0]?.exposure, 'blocked');
  });

  it("does not log the agents' DNS to dnsward, or other hosts' connections", () => {
    const { log, repo } = setup('ignored.db');
    log.onConntrackLine(
      `[${T / 1000}.0]\t[DESTROY] udp      17 src=10.0.0.5 dst=10.0.0.1 sport=5000 dport=53 packets=1 bytes=70 src=10.0.0.1 dst=10.0.0.5 sport=53 dport=5000 packets=1 bytes=90 id=3`,
    );
    log.onConntrackLine(destroyLine(1, '192.0.2.7', 4, T / 1000, 1, 1).replaceAll('10.0.0.5', '172.16.0.9'));
    log.flush();
    assert.deepEqual(repo.find(), []);
  });

  it('raises egress-volume when an agent sends far more than its baseline', () => {
    const { log, alerts, opened } = setup('volume.db');
    opened.offer('10.0.0.5', '192.0.2.7', 'api.example.org', T, T + 3_600_000, 0);
    let id = 100;
    // three quiet minutes of 10 kB, then a minute of 5 MB to an allowed destination
    for (const [minute, bytes] of [
      [0, 10_000],
      [1, 10_000],
      [2, 10_000],
      [3, 5_000_000],
    ] as const) {
      const ts = T / 1000 + minute * 60;
      log.onConntrackLine(newLine(41000 + minute, '192.0.2.7', ++id, ts));
      log.onConntrackLine(destroyLine(41000 + minute, '192.0.2.7', id, ts + 1, bytes, 100));
    }
    log.flush();
    const volume = alerts.list();
    assert.deepEqual(
      volume.map((a) => a.rule),
      ['egress-volume'],
      'only the volume rule: every connection went to an answered address',
    );
    assert.equal(volume[0]?.baseDomain, '*');
    assert.equal(volume[0].features.bytesOut, 5_000_000);
  });
});

describe('parseDropSet', () => {
  it('reads the elements of `nft -j list set`', () => {
    assert.deepEqual(parseDropSet(DROP_JSON)[0], {
      src: '10.0.0.5',
      dst: '198.51.100.9',
      proto: 'tcp',
      sport: 41000,
      dport: 8080,
      packets: 2,
      bytes: 120,
      expiresS: 115,
    });
  });
});
