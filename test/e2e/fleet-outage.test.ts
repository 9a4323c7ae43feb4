// The fleet store while PostgreSQL is away: a replica under steady load keeps answering every query while the
// database is stopped for 10 s, counts exactly what it could not log, and writes again once it is back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/processes.js';
import { udpQuery } from '../helpers/udp-query.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';
import { parseExposition, value } from '../unit/metrics/exposition.js';

const ZONE = 'outage.example';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('fleet store: PostgreSQL stopped for 10 s under load', () => {
  let db: Postgres;
  let unbound: Unbound;
  let server: Dnsward;
  let url: string;
  let metricsPort: number;

  before(async () => {
    db = await startPostgres();
    url = await db.createDatabase('outage');
    unbound = await startUnbound(ZONE, [`api.${ZONE}. 60 IN A 192.0.2.70`]);
    server = await startDnsward(
      {
        upstreams: { default: [`127.0.0.1:${unbound.port}`] },
        identity: { defaultGroup: 'agents' },
        groups: [{ name: 'agents', tier: 3, clients: ['127.0.0.0/8'], allowlists: ['allow.yaml'] }],
        metrics: { listen: '127.0.0.1:0' },
        store: { url, instance: 'outage-a', queueSize: 300, flushIntervalMs: 20 },
      },
      {
        'allow.yaml': `entries:\n  - { domain: "api.${ZONE}", justification: "outage test", owner: qa, added: 2026-01-01 }\n`,
      },
    );
    metricsPort = Number(/"metrics":(\d+)/.exec(server.output())?.[1]);
  });

  after(async () => {
    await server.stop();
    await unbound.stop();
    await db.stop();
  });

  it('answers every query, counts every row it could not write, and resumes writing', async () => {
    let sent = 0;
    let unanswered = 0;
    const load = async (ms: number): Promise<void> => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        sent++;
        if ((await udpQuery(server.port, `api.${ZONE}`)) === null) unanswered++;
        await sleep(2);
      }
    };
    await load(2000);
    await db.pause();
    await load(10_000);
    await db.resume();
    const resumedAt = Date.now();
    await load(2000);
    assert.equal(unanswered, 0, 'every query was answered while the database was away');

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = async (since = 0): Promise<number> =>
      Number(
        (
          await client.query<{ n: string }>(
            "SELECT count(*) AS n FROM query_log WHERE instance = 'outage-a' AND ts >= $1",
            [since],
          )
        ).rows[0]?.n,
      );
    const dropped = async (): Promise<number> =>
      value(
        parseExposition(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()),
        'dnsward_events_dropped_total',
      ) ?? 0;
    try {
      await waitFor(
        async () => (await rows()) + (await dropped()) === sent,
        30_000,
        'rows + drops = answers',
      );
      assert.ok((await dropped()) > 0, 'the outage cost rows, and they were counted');
      assert.ok((await rows(resumedAt)) > 0, 'writing resumed after the database came back');
    } finally {
      await client.end();
    }
  });
});
