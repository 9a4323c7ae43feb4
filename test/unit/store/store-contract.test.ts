// The Store contract: one suite, the same cases, against both engines (a SQLite file and a real PostgreSQL
// started from Debian's package), plus each engine's migrations from empty and from the previous schema.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { newAlert, trackAlert, type AlertState } from '../../../src/model/alert.js';
import { allowlistStale, allowlistSuggest } from '../../../src/cli/commands/allowlist.js';
import { hitKey, wouldDenyNames } from '../../../src/store/allowlist-hits.js';
import { migrationFiles, openDatabase } from '../../../src/store/database.js';
import { openStore } from '../../../src/store/open-store.js';
import { latestVersion, migrate } from '../../../src/store/postgres/migrate.js';
import { encodeRows } from '../../../src/store/query-log-row.js';
import type { Store } from '../../../src/store/store.js';
import { startPostgres, type Postgres } from '../../helpers/postgres.js';
import { event } from '../detect/scenario.js';
import { captureIo } from '../cli/io.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const DAY = 86_400_000;
const WINDOW = 600_000;
const LINT = resolve(import.meta.dirname, '../../../fixtures/operate/lint');

function state(overrides: Partial<AlertState> = {}): AlertState {
  return {
    ...newAlert(
      {
        rule: 'unique-subdomains',
        severity: 'medium',
        agentId: 'agent-a',
        group: 'research',
        clientIp: '10.0.0.5',
        baseDomain: 'tunnel-example.org',
        score: 50,
        exposure: 'forwarded',
        samples: ['a1.tunnel-example.org'],
        features: { uniqueSubdomains1m: 31 },
        bytesLeaked: 100,
        bytesAttempted: 100,
      },
      T0,
    ),
    localId: 1,
    dbId: null,
    ...overrides,
  };
}

interface Engine {
  readonly name: string;
  /** A fresh, empty store; `again` opens a second writer on the same database (another replica). */
  readonly fresh: (
    label: string,
    instance?: string,
  ) => Promise<{ store: Store; again: (instance: string) => Promise<Store>; url: string }>;
}

let pgServer: Postgres | undefined;
let tmp: string;
const opened: Store[] = [];

const engines: Engine[] = [
  {
    name: 'sqlite',
    async fresh(label, instance = 'one') {
      const path = join(tmp, `${label}.db`);
      const open = async (name: string) => {
        const store = await openStore(`sqlite:${path}`, { instance: name, retentionMs: 7 * DAY });
        opened.push(store);
        return store;
      };
      return { store: await open(instance), again: open, url: `sqlite:${path}` };
    },
  },
  {
    name: 'postgres',
    async fresh(label, instance = 'one') {
      const url = await (pgServer as Postgres).createDatabase(label.toLowerCase().replaceAll('-', '_'));
      const open = async (name: string) => {
        const store = await openStore(url, { instance: name, retentionMs: 7 * DAY });
        opened.push(store);
        return store;
      };
      return { store: await open(instance), again: open, url };
    },
  },
];

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'dnsward-fleet-contract-'));
  pgServer = await startPostgres();
});
after(async () => {
  for (const store of opened) await store.close().catch(() => undefined);
  await pgServer?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

for (const engine of engines) {
  describe(`Store contract: ${engine.name}`, () => {
    it('stores a batch of alerts, sets their ids and adds later growth to the same rows', async () => {
      const { store } = await engine.fresh(`${engine.name}-upsert`);
      const a = state();
      const pod = { namespace: 'agents', pod: 'agent-b-0', podUid: 'uid-b', serviceAccount: 'runner' };
      const b = state({ localId: 2, baseDomain: 'other-example.org', podIdentity: pod });
      await store.alerts.saveBatch([a, b], T0, WINDOW);
      assert.ok(a.dbId !== null && b.dbId !== null && a.dbId !== b.dbId);
      a.count = 5;
      a.lastSeenMs = T0 + 4000;
      a.bytesLeaked = 500;
      await store.alerts.saveBatch([a], T0 + 4000, WINDOW);
      const got = await store.alerts.get(a.dbId);
      assert.ok(got);
      assert.equal(got.count, 5);
      assert.equal(got.bytesLeaked, 500);
      assert.equal(got.lastSeen, new Date(T0 + 4000).toISOString());
      assert.deepEqual(
        (await store.alerts.list()).map((x) => x.baseDomain),
        ['tunnel-example.org', 'other-example.org'],
      );
      const byPod = await store.alerts.list({
        namespace: 'agents',
        pod: 'agent-b-0',
        serviceAccount: 'runner',
      });
      assert.deepEqual(
        byPod.map((x) => [x.baseDomain, x.namespace, x.pod, x.podUid, x.serviceAccount]),
        [['other-example.org', 'agents', 'agent-b-0', 'uid-b', 'runner']],
      );
      assert.equal(got.namespace, null);
    });

    it('merges the same alert from two replicas into one: counts and bytes add, severity and last seen max', async () => {
      const { store, again } = await engine.fresh(`${engine.name}-fleet`);
      const other = await again('two');
      const mine = state({ count: 3, bytesLeaked: 300, bytesAttempted: 300 });
      const theirs = state({
        count: 4,
        bytesLeaked: 400,
        bytesAttempted: 400,
        severity: 'high',
        lastSeenMs: T0 + 9000,
        samples: ['b2.tunnel-example.org'],
      });
      await store.alerts.saveBatch([mine], T0, WINDOW);
      await other.alerts.saveBatch([theirs], T0, WINDOW);
      mine.count = 6; // three more here
      await store.alerts.saveBatch([mine], T0 + 1000, WINDOW);
      const all = await store.alerts.list();
      assert.equal(all.length, 1);
      const [one] = all;
      assert.ok(one);
      assert.equal(one.count, 10);
      assert.equal(one.bytesLeaked, 700);
      assert.equal(one.severity, 'high');
      assert.equal(one.lastSeen, new Date(T0 + 9000).toISOString());
      assert.deepEqual(one.samples, ['a1.tunnel-example.org', 'b2.tunnel-example.org']);
      assert.equal(mine.dbId, theirs.dbId);
    });

    it('a new alert after the merge window is a new row', async () => {
      const { store } = await engine.fresh(`${engine.name}-window`);
      await store.alerts.saveBatch([state()], T0, WINDOW);
      await store.alerts.saveBatch(
        [state({ localId: 2, firstSeenMs: T0 + WINDOW + 1, lastSeenMs: T0 + WINDOW + 1 })],
        T0,
        WINDOW,
      );
      assert.equal((await store.alerts.list()).length, 2);
    });

    it('keeps an ack made elsewhere across upserts, and reopens it when the alert escalates', async () => {
      const { store, again } = await engine.fresh(`${engine.name}-ack`);
      const cli = await again('cli');
      const a = state();
      await store.alerts.saveBatch([a], T0, WINDOW);
      assert.ok(a.dbId !== null);
      assert.equal(await cli.alerts.ack(a.dbId, T0 + 1, 'known test'), true);
      assert.equal(await cli.alerts.ack(999_999, T0 + 1, null), false);
      a.count = 2;
      await store.alerts.saveBatch([a], T0 + 2, WINDOW);
      assert.equal((await store.alerts.get(a.dbId))?.status, 'acked');
      a.severity = 'critical';
      await store.alerts.saveBatch([a], T0 + 3, WINDOW);
      const reopened = await store.alerts.get(a.dbId);
      assert.ok(reopened);
      assert.equal(reopened.status, 'open');
      assert.match(reopened.statusReason ?? '', /escalated to critical/);
    });

    it('mutes open alerts by domain and lists the active mutes; recent() brings alerts back for dedupe', async () => {
      const { store } = await engine.fresh(`${engine.name}-mute`);
      const a = state({ baseDomain: 'sub.mute-example.org' });
      await store.alerts.saveBatch(
        [a, state({ localId: 2, agentId: 'agent-b', baseDomain: 'x.example' })],
        T0,
        WINDOW,
      );
      const muted = await store.alerts.mute(
        { domain: 'mute-example.org', agentId: null, reason: 'vendor', untilMs: T0 + DAY },
        T0 + 5,
      );
      assert.equal(muted.muted, 1);
      assert.equal((await store.alerts.list({ status: 'muted' })).length, 1);
      assert.deepEqual(
        (await store.alerts.activeMutes(T0 + 10)).map((m) => [m.domain, m.reason]),
        [['mute-example.org', 'vendor']],
      );
      assert.equal((await store.alerts.activeMutes(T0 + 2 * DAY)).length, 0);
      const recent = await store.alerts.recent(T0 - 1);
      assert.equal(recent.length, 2);
      // a restarted writer continues the stored totals instead of adding them again
      const seeded = trackAlert(recent[0] as (typeof recent)[number], -1);
      seeded.count += 1;
      await store.alerts.saveBatch([seeded], T0 + 20, WINDOW);
      assert.equal((await store.alerts.get(seeded.dbId ?? 0))?.count, 2);
      assert.equal((await store.alerts.list({ domain: 'mute-example.org' })).length, 1);
      assert.equal((await store.alerts.list({ severity: 'high' })).length, 0);
    });

    it('quarantines raised by one writer are active for another until released', async () => {
      const { store, again } = await engine.fresh(`${engine.name}-quarantine`);
      const other = await again('two');
      const q = { agentId: 'agent-a', group: 'research', scope: 'agent' as const, baseDomain: null };
      const id = await store.quarantines.add({
        ...q,
        createdAt: T0,
        until: T0 + 3600_000,
        reason: 'high tunnel',
        alertId: null,
      });
      await store.quarantines.add({
        ...q,
        agentId: 'agent-b',
        createdAt: T0,
        until: T0 + 3600_000,
        reason: 'x',
        alertId: 7,
      });
      assert.deepEqual(
        (await other.quarantines.active(T0 + 1)).map((x) => x.agentId),
        ['agent-a', 'agent-b'],
      );
      assert.equal((await other.quarantines.active(T0 + 3600_000)).length, 0);
      assert.equal(await other.quarantines.release({ id }, T0 + 2), 1);
      assert.equal(await other.quarantines.release({ id }, T0 + 3), 0);
      assert.equal(await store.quarantines.release({ agentId: 'agent-b' }, T0 + 4), 1);
      assert.equal((await store.quarantines.active(T0 + 5)).length, 0);
      const all = await store.quarantines.all();
      assert.deepEqual(
        all.map((x) => x.releasedAt),
        [T0 + 2, T0 + 4],
      );
      assert.equal(all[1]?.alertId, 7);
    });

    it('two replicas raising the same quarantine share one active row; the later end wins', async () => {
      const { store, again } = await engine.fresh(`${engine.name}-quarantine-dedupe`);
      const other = await again('two');
      const q = {
        agentId: 'agent-a',
        group: 'research',
        reason: 'high tunnel',
        alertId: null,
        createdAt: T0,
      };
      const agent = { ...q, scope: 'agent' as const, baseDomain: null };
      const domain = { ...q, scope: 'domain' as const, baseDomain: 'tunnel-example.org' };
      // both replicas at once, each twice: the database, not a read-then-write, keeps one row per key
      const ids = await Promise.all([
        store.quarantines.add({ ...agent, until: T0 + 60_000 }),
        other.quarantines.add({ ...agent, until: T0 + 120_000 }),
        store.quarantines.add({ ...domain, until: T0 + 60_000 }),
        other.quarantines.add({ ...domain, until: T0 + 30_000 }),
      ]);
      assert.equal(ids[0], ids[1]);
      assert.equal(ids[2], ids[3]);
      assert.notEqual(ids[0], ids[2]);
      const active = await other.quarantines.active(T0 + 1);
      assert.deepEqual(
        active.map((x) => [x.id, x.scope, x.baseDomain, x.until]),
        [
          [ids[0], 'agent', null, T0 + 120_000],
          [ids[2], 'domain', 'tunnel-example.org', T0 + 60_000],
        ],
      );
      // once released, the same quarantine raised again is a new row
      assert.equal(await store.quarantines.release({ id: ids[0] }, T0 + 2), 1);
      const raisedAgain = await other.quarantines.add({ ...agent, createdAt: T0 + 3, until: T0 + 90_000 });
      assert.notEqual(raisedAgain, ids[0]);
      // one that ran out without a release is retired (released at its end) and the new one is a row of its own
      const later = await store.quarantines.add({
        ...domain,
        createdAt: T0 + 70_000,
        until: T0 + 200_000,
        reason: 'again',
        alertId: 9,
      });
      assert.notEqual(later, ids[2]);
      const all = await store.quarantines.all();
      assert.equal(all.length, 4);
      const old = all.find((x) => x.id === ids[2]);
      assert.deepEqual(
        [old?.createdAt, old?.until, old?.releasedAt, old?.reason],
        [T0, T0 + 60_000, T0 + 60_000, 'high tunnel'],
      );
      const row = all.find((x) => x.id === later);
      assert.deepEqual(
        [row?.createdAt, row?.until, row?.releasedAt, row?.reason, row?.alertId],
        [T0 + 70_000, T0 + 200_000, null, 'again', 9],
      );
    });

    it('logs queries with the replica that wrote them: newest first, filters, count, drops', async () => {
      const { store, again } = await engine.fresh(`${engine.name}-querylog`);
      const other = await again('two');
      const mine = [0, 1, 2].map((i) => event({ ts: T0 + i, qname: `q${i}.example.org` }));
      const pod = { namespace: 'ops', pod: 'agent-b-0', podUid: 'uid-b', serviceAccount: 'runner' };
      const theirs = [3, 4].map((i) =>
        event({
          ts: T0 + i,
          qname: `q${i}.deny.example`,
          decision: 'deny',
          agentId: 'agent-b',
          group: 'ops',
          ...(i === 4 && pod),
        }),
      );
      await store.queryLog.write(mine, encodeRows(mine));
      await other.queryLog.write(theirs, encodeRows(theirs));
      await store.queryLog.recordDrops(17, T0 + 5);
      const found = await other.queryLog.find({});
      assert.deepEqual(
        found.map((q) => [q.qname, q.instance]),
        [
          ['q4.deny.example', 'two'],
          ['q3.deny.example', 'two'],
          ['q2.example.org', 'one'],
          ['q1.example.org', 'one'],
          ['q0.example.org', 'one'],
        ],
      );
      const noPod = { namespace: null, pod: null, podUid: null, serviceAccount: null, instance: undefined };
      assert.deepEqual({ ...found[4], instance: undefined }, { ...mine[0], ...noPod });
      assert.deepEqual(
        (await store.queryLog.find({ namespace: 'ops', pod: 'agent-b-0', serviceAccount: 'runner' })).map(
          (q) => [q.qname, q.podUid],
        ),
        [['q4.deny.example', 'uid-b']],
      );
      assert.equal(await store.queryLog.count(), 5);
      assert.deepEqual(
        (await store.queryLog.find({ agent: 'agent-b', limit: 1 })).map((q) => q.ts),
        [T0 + 4],
      );
      assert.deepEqual((await store.queryLog.find({ name: '*.example.org' })).length, 3);
      assert.deepEqual((await store.queryLog.find({ name: 'q1.example.org' })).length, 1);
      assert.deepEqual((await store.queryLog.find({ sinceMs: T0 + 1, untilMs: T0 + 3 })).length, 3);
      const scanned: string[] = [];
      for await (const q of store.queryLog.scan({ group: 'ops', decisions: ['deny'] })) scanned.push(q.qname);
      assert.deepEqual(scanned, ['q3.deny.example', 'q4.deny.example']);
      const status = await store.check();
      assert.equal(status.newestRowMs, T0 + 4);
      assert.equal(status.schemaVersion, status.latestVersion);
      await other.queryLog.recordDrops(3, T0 + 6);
      await store.queryLog.recordDrops(2, T0 + 7);
      await store.queryLog.recordDrops(1000, T0 - DAY);
      assert.deepEqual(await other.queryLog.drops(T0), [
        { instance: 'one', dropped: 19, lastMs: T0 + 7 },
        { instance: 'two', dropped: 3, lastMs: T0 + 6 },
      ]);
    });

    it('scans a long window whole, oldest first, equal times included (PostgreSQL reads it in pages)', async () => {
      const { store } = await engine.fresh(`${engine.name}-scan`);
      // more rows than a page, most sharing a time with rows across the page boundary
      const rows = Array.from({ length: 12_001 }, (_, i) =>
        event({ ts: T0 + Math.floor(i / 7), qname: `n${i}.example.org` }),
      );
      for (let i = 0; i < rows.length; i += 3000) {
        const batch = rows.slice(i, i + 3000);
        await store.queryLog.write(batch, encodeRows(batch));
      }
      const seen: string[] = [];
      for await (const q of store.queryLog.scan({ sinceMs: T0 })) seen.push(q.qname);
      assert.deepEqual(
        seen,
        rows.map((r) => r.qname),
      );
    });

    it('records the policy versions in force: the window, the one in force when it opened, oldest first', async () => {
      const { store, again } = await engine.fresh(`${engine.name}-policy`);
      const other = await again('two');
      const groups = [{ name: 'research', tier: 3 as const, mode: 'enforce' as const, entries: 12 }];
      await store.policyVersions.record({
        version: 'aaaa',
        loadedAt: T0 - 2 * DAY,
        trigger: 'start',
        groups,
      });
      await store.policyVersions.record({ version: 'bbbb', loadedAt: T0 - DAY, trigger: 'signal', groups });
      await other.policyVersions.record({ version: 'bbbb', loadedAt: T0 + 5, trigger: 'start', groups });
      await store.policyVersions.record({
        version: 'cccc',
        loadedAt: T0 + 10,
        trigger: 'file-change',
        groups: [...groups, { name: 'ops', tier: 2, mode: 'audit', entries: 1 }],
      });
      const listed = await other.policyVersions.list(T0);
      assert.deepEqual(
        listed.map((v) => [v.version, v.instance, v.trigger, v.loadedAt]),
        [
          ['bbbb', 'one', 'signal', T0 - DAY],
          ['bbbb', 'two', 'start', T0 + 5],
          ['cccc', 'one', 'file-change', T0 + 10],
        ],
      );
      assert.deepEqual(listed[2]?.groups[1], { name: 'ops', tier: 2, mode: 'audit', entries: 1 });
      assert.deepEqual(
        (await store.policyVersions.list(T0 + DAY)).map((v) => v.version),
        ['cccc'],
      );
    });

    it('retention removes what is older than the retention and keeps the rest', async () => {
      const { store } = await engine.fresh(`${engine.name}-retention`);
      const old = [event({ ts: T0 - 10 * DAY })];
      const fresh = [event({ ts: T0 })];
      await store.queryLog.write(old, encodeRows(old));
      await store.queryLog.write(fresh, encodeRows(fresh));
      assert.ok((await store.queryLog.prune(T0)) >= 1);
      assert.deepEqual(
        (await store.queryLog.find({})).map((q) => q.ts),
        [T0],
      );
    });

    it('adds allowlist hits per (group, domain) from every writer', async () => {
      const { store, again } = await engine.fresh(`${engine.name}-hits`);
      const other = await again('two');
      await store.allowlistHits.add([
        { group: 'g', domain: '*.example.org', hits: 2, firstHit: T0, lastHit: T0 + 5 },
      ]);
      await other.allowlistHits.add([
        { group: 'g', domain: '*.example.org', hits: 3, firstHit: T0 - 5, lastHit: T0 + 1 },
      ]);
      const hits = await store.allowlistHits.read();
      assert.deepEqual(hits.get(hitKey('g', '*.example.org')), {
        group: 'g',
        domain: '*.example.org',
        hits: 5,
        firstHit: T0 - 5,
        lastHit: T0 + 5,
      });
      assert.equal(typeof (await store.allowlistHits.trackingSince()), 'number');
    });

    it("tallies a group's would-deny queries from every writer, with the pods that asked", async () => {
      const { store, again, url } = await engine.fresh(`${engine.name}-wouldeny`);
      const other = await again('two');
      const pod = { namespace: 'agents', pod: 'agent-a-0', podUid: 'uid-a', serviceAccount: 'runner' };
      const wd = (ts: number, qname: string, agentId: string, extra = {}) =>
        event({
          ts,
          qname,
          agentId,
          group: 'clean',
          decision: 'would-deny',
          reason: 'not-allowlisted',
          ...extra,
        });
      const mine = [
        wd(T0, 'api.newvendor.com', 'agent-a', pod),
        wd(T0 + 1, 'api.newvendor.com', 'agent-a', pod),
      ];
      const theirs = [
        wd(T0 + 2, 'api.newvendor.com', '10.40.0.9'),
        wd(T0 + 3, 'cdn.newvendor.com', '10.40.0.9'),
        wd(T0 - 30 * DAY, 'old.newvendor.com', '10.40.0.9'),
        event({ ts: T0 + 4, qname: 'enforced.example', group: 'clean', decision: 'deny' }),
      ];
      await store.queryLog.write(mine, encodeRows(mine));
      await other.queryLog.write(theirs, encodeRows(theirs));
      const observed = await wouldDenyNames(
        store.queryLog.scan({ group: 'clean', sinceMs: T0 - DAY, decisions: ['would-deny'] }),
      );
      const noPod = { namespace: null, pod: null, podUid: null, serviceAccount: null };
      assert.deepEqual(
        observed.map((o) => [o.qname, o.queries, o.agents, o.firstSeen, o.lastSeen]),
        [
          ['api.newvendor.com', 3, 2, T0, T0 + 2],
          ['cdn.newvendor.com', 1, 1, T0 + 3, T0 + 3],
        ],
      );
      assert.deepEqual(observed[0]?.askedBy, [
        { agentId: 'agent-a', ...pod },
        { agentId: '10.40.0.9', ...noPod },
      ]);

      // the CLI on this engine's URL: the same suggestion on both engines
      const io = captureIo(T0 + DAY);
      const options = { config: join(LINT, 'clean.yaml'), allowlist: [], db: url, group: 'clean' };
      assert.equal(await allowlistSuggest({ ...options, since: '7d', wildcardMin: 10, json: true }, io), 0);
      const report = JSON.parse(io.stdout()) as {
        domains: { entries: { domain: string; agents: number; askedBy: { pod: string | null }[] }[] }[];
      };
      assert.deepEqual(
        report.domains.flatMap((d) =>
          d.entries.map((e) => [e.domain, e.agents, e.askedBy.map((a) => a.pod)]),
        ),
        [
          ['api.newvendor.com', 2, ['agent-a-0', null]],
          ['cdn.newvendor.com', 1, [null]],
        ],
      );
      const yaml = captureIo(T0 + DAY);
      assert.equal(await allowlistSuggest({ ...options, since: '7d', wildcardMin: 10 }, yaml), 0);
      assert.match(yaml.stdout(), /# asked by agents\/agent-a-0 \(sa runner\), 10\.40\.0\.9/);
    });

    it('allowlist stale reads the hits of every writer through the store', async () => {
      const { store, again, url } = await engine.fresh(`${engine.name}-stale`);
      const other = await again('two');
      await other.allowlistHits.add([
        { group: 'clean', domain: 'api.example.org', hits: 4, firstHit: Date.now(), lastHit: Date.now() },
      ]);
      await store.allowlistHits.add([
        { group: 'clean', domain: '*.cdn.example.org', hits: 1, firstHit: Date.now(), lastHit: Date.now() },
      ]);
      const io = captureIo(Date.now() + 200 * DAY);
      assert.equal(
        await allowlistStale(
          { config: join(LINT, 'clean.yaml'), allowlist: [], db: url, days: 90, json: true },
          io,
        ),
        0,
      );
      const report = JSON.parse(io.stdout()) as {
        checked: number;
        stale: { domain: string; hits: number }[];
      };
      // 200 days on, every entry is idle past 90 days; each keeps the hits its writer recorded
      assert.deepEqual(report.stale.map((e) => [e.domain, e.hits]).sort(), [
        ['*.cdn.example.org', 1],
        ['api.example.org', 4],
        ['ok.example.org', 0],
      ]);
    });
  });
}

describe('PostgreSQL migrations', () => {
  it('from an empty database, by several replicas at once, each file applied once', async () => {
    const url = await (pgServer as Postgres).createDatabase('migrate_empty');
    const stores = await Promise.all(['a', 'b', 'c'].map((i) => openStore(url, { instance: i })));
    opened.push(...stores);
    const status = await (stores[0] as Store).check();
    assert.equal(status.schemaVersion, latestVersion());
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    await client.end();
    assert.deepEqual(
      rows.rows.map((r) => r.version),
      [9, 10, 12, 13, 14],
    );
  });

  it('from the previous schema (009) keeps the query log and names old rows instance ""', async () => {
    const url = await (pgServer as Postgres).createDatabase('migrate_previous');
    const pool = new pg.Pool({ connectionString: url });
    await migrate(pool, 9);
    await pool.query(
      `CREATE TABLE query_log_20260115 PARTITION OF query_log FOR VALUES FROM (${Date.UTC(2026, 0, 15)}) TO (${Date.UTC(2026, 0, 16)})`,
    );
    await pool.query(
      `INSERT INTO query_log (ts, transport, client_ip, client_port, agent_id, grp, tier, qname, qtype, decision, reason,
        rule_id, rcode, upstream, cached, answered_by, latency_us, req_bytes, resp_bytes, answers)
       VALUES ($1, 'udp', '10.0.0.5', 1, 'agent-a', 'g', 3, 'old.example.org', 'A', 'allow', 'r', 'id', 'NOERROR', NULL, 0, 'upstream', 1, 1, 1, 1)`,
      [T0],
    );
    await pool.end();
    const store = await openStore(url, { instance: 'new' });
    opened.push(store);
    assert.deepEqual(
      (await store.queryLog.find({})).map((q) => [q.qname, q.instance]),
      [['old.example.org', '']],
    );
    const fresh = [event({ ts: T0 + 1 })];
    await store.queryLog.write(fresh, encodeRows(fresh));
    assert.deepEqual(
      (await store.queryLog.find({})).map((q) => q.instance),
      ['new', ''],
    );
  });
});

/**
 * Unreleased duplicates as replicas before migration 014 could leave them (ends in ms after NOW: the migration
 * reads the clock), and one that ran out long ago; then the rows expected active after it.
 */
const NOW = Date.now();
const DUPLICATES = [
  ['agent-a', 'agent', null, 100_000],
  ['agent-a', 'agent', null, 300_000],
  ['agent-a', 'agent', null, 200_000],
  ['agent-a', 'domain', 'x.example', 100_000],
  ['agent-a', 'domain', 'x.example', 50_000],
  ['agent-b', 'agent', null, 100_000],
  ['agent-b', 'agent', null, -DAY],
] as const;
const SURVIVORS = [
  [1, 'agent-a', 'agent', null, NOW + 300_000],
  [4, 'agent-a', 'domain', 'x.example', NOW + 100_000],
  [6, 'agent-b', 'agent', null, NOW + 100_000],
];

/** After 014: the survivors active, the duplicates released, the run-out row released at its own end. */
async function assertMigrated014(store: Store): Promise<void> {
  assert.deepEqual(
    (await store.quarantines.active(NOW)).map((q) => [q.id, q.agentId, q.scope, q.baseDomain, q.until]),
    SURVIVORS,
  );
  const all = await store.quarantines.all();
  assert.equal(all.filter((q) => q.releasedAt !== null).length, 4);
  assert.equal(all.find((q) => q.id === 7)?.releasedAt, NOW - DAY);
}

describe('PostgreSQL migration 014', () => {
  it('from 013 with duplicate active quarantines keeps one per key, the oldest, with the latest end', async () => {
    const url = await (pgServer as Postgres).createDatabase('migrate_014');
    const pool = new pg.Pool({ connectionString: url });
    await migrate(pool, 13);
    for (const [agent, scope, domain, until] of DUPLICATES)
      await pool.query(
        `INSERT INTO quarantines (agent_id, grp, scope, base_domain, created_at, until, reason)
         VALUES ($1, 'g', $2, $3, $4, $5, 'r')`,
        [agent, scope, domain, NOW - 2 * DAY, NOW + until],
      );
    await pool.end();
    const store = await openStore(url, { instance: 'new' });
    opened.push(store);
    await assertMigrated014(store);
  });
});

describe('SQLite migrations', () => {
  it('from an empty file to the newest version', async () => {
    const store = await openStore(join(tmp, 'empty.db'), { instance: 'x' });
    opened.push(store);
    const status = await store.check();
    assert.equal(status.schemaVersion, Number(migrationFiles().at(-1)?.slice(0, 3)));
  });

  it('from the previous schema (009) keeps the query log and names old rows instance ""', async () => {
    const path = join(tmp, 'previous.db');
    const db = new Database(path);
    for (const file of migrationFiles().filter((f) => Number(f.slice(0, 3)) <= 9)) {
      db.exec(
        (await import('node:fs')).readFileSync(
          new URL(`../../../src/store/migrations/${file}`, import.meta.url),
          'utf8',
        ),
      );
    }
    db.pragma('user_version = 9');
    const rows = [event({ ts: T0, qname: 'old.example.org' })];
    db.prepare('INSERT INTO query_log_segments (first_ts, last_ts, count, rows) VALUES (?, ?, ?, ?)').run(
      T0,
      T0,
      1,
      encodeRows(rows),
    );
    db.close();
    openDatabase(path).close();
    const store = await openStore(path, { instance: 'new', readonly: true });
    opened.push(store);
    assert.deepEqual(
      (await store.queryLog.find({})).map((q) => [q.qname, q.instance]),
      [['old.example.org', '']],
    );
  });
  it('014 from 013 with duplicate active quarantines keeps one per key, the oldest, with the latest end', async () => {
    const path = join(tmp, 'before-014.db');
    const db = new Database(path);
    for (const file of migrationFiles().filter((f) => Number(f.slice(0, 3)) <= 13)) {
      db.exec(
        (await import('node:fs')).readFileSync(
          new URL(`../../../src/store/migrations/${file}`, import.meta.url),
          'utf8',
        ),
      );
    }
    db.pragma('user_version = 13');
    const insert = db.prepare(
      `INSERT INTO quarantines (agent_id, grp, scope, base_domain, created_at, until, reason)
       VALUES (?, 'g', ?, ?, ?, ?, 'r')`,
    );
    for (const [agent, scope, domain, until] of DUPLICATES)
      insert.run(agent, scope, domain, NOW - 2 * DAY, NOW + until);
    db.close();
    const store = await openStore(path, { instance: 'new' });
    opened.push(store);
    await assertMigrated014(store);
  });
});
