// Allowlist lifecycle on a temporary SQLite file: hit counts per entry (one upsert per entry per batch),
// `stale` over prepared hits, and `suggest` over a prepared query log.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYamlText } from 'yaml';
import type { QueryEvent } from '../../../src/model/query-event.js';
import { allowlistFileSchema, loadAllowlistFile } from '../../../src/policy/allowlist-file.js';
import { isPlaceholder } from '../../../src/policy/allowlist-lint.js';
import { findStaleEntries } from '../../../src/policy/allowlist-stale.js';
import { renderSuggestionYaml, suggestEntries } from '../../../src/policy/allowlist-suggest.js';
import {
  AllowlistHitRecorder,
  hitKey,
  hitWriter,
  type EntryHits,
  hitTrackingSince,
  readAllowlistHits,
  wouldDenyNames,
} from '../../../src/store/allowlist-hits.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { QueryLogWriter } from '../../../src/store/query-log-writer.js';
import { scanQueries } from '../../../src/store/query-log-reader.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-21T12:00:00Z');

function tempDb(): { db: Db; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-hits-'));
  return { db: openDatabase(join(dir, 'dnsward.db')), dir };
}

function event(overrides: Partial<QueryEvent>): QueryEvent {
  return {
    ts: NOW,
    transport: 'udp',
    clientIp: '10.0.0.1',
    clientPort: 40000,
    agentId: 'agent-1',
    group: 'research',
    tier: 3,
    qname: 'api.example.org',
    qtype: 'A',
    decision: 'allow',
    reason: 'allowlisted',
    ruleId: 'allowlists/research.yaml:3 api.example.org',
    rcode: 'NOERROR',
    upstream: '127.0.0.1:53',
    cached: false,
    answeredBy: 'upstream',
    latencyUs: 1000,
    reqBytes: 40,
    respBytes: 80,
    answers: 1,
    ...overrides,
  };
}

const entryLine = (domain: string, added: string): string =>
  `  - domain: '${domain}'\n    justification: 'Lifecycle test entry (QA-1)'\n    owner: qa\n    added: ${added}\n`;

/** The SQLite writer as the recorder's sink, failing at once as the SQLite store's does. */
function sinkOf(db: Db): (rows: readonly EntryHits[]) => Promise<void> {
  const write = hitWriter(db);
  return (rows) => {
    write(rows);
    return Promise.resolve();
  };
}

describe('AllowlistHitRecorder', () => {
  it('counts allow decisions per (group, entry domain), one upsert per entry per batch', () => {
    const { db } = tempDb();
    const recorder = new AllowlistHitRecorder(sinkOf(db));
    let statements = 0;
    db.function('count_statement', () => ++statements);
    db.exec(
      `CREATE TRIGGER count_upserts AFTER UPDATE ON allowlist_hits BEGIN SELECT count_statement(); END`,
    );
    recorder.consume([
      event({ ts: NOW - 3000 }),
      event({ ts: NOW - 1000 }),
      event({ ts: NOW - 2000, group: 'other' }), // the same file used by another group: counted apart
      event({ decision: 'deny', ruleId: 'research/default-deny', qname: 'x.evil.example' }),
      event({ decision: 'would-deny', ruleId: 'research/default-deny', qname: 'y.evil.example' }),
    ]);
    // the entry's line moved (a reload): the history stays with the domain
    recorder.consume([
      event({ ts: NOW, ruleId: 'allowlists/research.yaml:9 api.example.org' }),
      event({ ts: NOW, ruleId: 'allowlists/research.yaml:9 api.example.org' }),
    ]);
    const hits = readAllowlistHits(db);
    assert.deepEqual(hits.get(hitKey('research', 'api.example.org')), {
      group: 'research',
      domain: 'api.example.org',
      hits: 4,
      firstHit: NOW - 3000,
      lastHit: NOW,
    });
    assert.equal(hits.get(hitKey('other', 'api.example.org'))?.hits, 1);
    assert.equal(hits.size, 2, 'denials are not entry hits');
    assert.equal(statements, 1, 'the second batch updated the row once, not once per event');
    assert.ok((hitTrackingSince(db) ?? 0) > NOW - 365 * DAY);
  });

  it('counts a batch it cannot write instead of throwing into the event queue', () => {
    const { db } = tempDb();
    const errors: unknown[] = [];
    const recorder = new AllowlistHitRecorder(sinkOf(db), (error) => errors.push(error));
    db.exec('DROP TABLE allowlist_hits');
    assert.doesNotThrow(() => recorder.consume([event({})]));
    assert.equal(recorder.failures, 1);
    assert.equal(errors.length, 1);
  });
});

describe('allowlist stale', () => {
  function prepare(trackingDaysAgo: number): ReturnType<typeof findStaleEntries> {
    const { db, dir } = tempDb();
    db.prepare('UPDATE allowlist_tracking SET since = ?').run(NOW - trackingDaysAgo * DAY);
    const file = join(dir, 'research.yaml');
    writeFileSync(
      file,
      'entries:\n' +
        entryLine('used.example.org', '2025-01-01') +
        entryLine('idle.example.org', '2025-01-01') +
        entryLine('never.example.org', '2025-01-01') +
        entryLine('fresh.example.org', '2026-11-01') +
        entryLine('*.cdn.example.org', '2025-01-01'),
    );
    const recorder = new AllowlistHitRecorder(sinkOf(db));
    recorder.consume([
      event({ ts: NOW - 10 * DAY, ruleId: `${file}:2 used.example.org` }),
      event({ ts: NOW - 120 * DAY, ruleId: `${file}:6 idle.example.org` }),
      event({ ts: NOW - 95 * DAY, ruleId: `${file}:22 *.cdn.example.org`, qname: 'x.cdn.example.org' }),
      event({ ts: NOW - 1 * DAY, group: 'other', ruleId: `${file}:10 never.example.org` }),
    ]);
    const hits = readAllowlistHits(db);
    return findStaleEntries(
      [{ name: 'research', entries: loadAllowlistFile(file).entries }],
      (group, domain) => hits.get(hitKey(group, domain)),
      hitTrackingSince(db),
      NOW,
      90,
    );
  }

  it('lists entries without a hit for N days, oldest first; new entries are not judged yet', () => {
    const report = prepare(400);
    assert.deepEqual(
      report.stale.map((s) => [
        s.domain,
        s.hits,
        s.idleDays,
        s.lastHit === null ? null : (NOW - s.lastHit) / DAY,
      ]),
      [
        ['never.example.org', 0, 400, null], // no hit since tracking began; one in another group does not count
        ['idle.example.org', 1, 120, 120],
        ['*.cdn.example.org', 1, 95, 95],
      ],
    );
    assert.equal(report.checked, 5);
    assert.equal(report.tooNew, 1, 'fresh.example.org was added 20 days ago');
  });

  it('does not call an entry stale before hits were tracked for N days', () => {
    const report = prepare(30);
    // idle and *.cdn had hits before tracking "began" (as set here): their old hits still count
    assert.deepEqual(
      report.stale.map((s) => s.domain),
      [],
    );
    assert.equal(report.tooNew, 4);
  });
});

describe('allowlist suggest', async () => {
  function observed(): ReturnType<typeof wouldDenyNames> {
    const { db } = tempDb();
    const writer = new QueryLogWriter(db, 365 * DAY);
    const wd = (qname: string, overrides: Partial<QueryEvent> = {}): QueryEvent =>
      event({
        qname,
        decision: 'would-deny',
        reason: 'not-allowlisted',
        ruleId: 'research/default-deny',
        ts: NOW - DAY,
        ...overrides,
      });
    const events: QueryEvent[] = [];
    for (let i = 0; i < 5; i++) events.push(wd('api.newvendor.com', { agentId: `agent-${i % 2}` }));
    events.push(wd('newvendor.com'));
    for (let i = 0; i < 12; i++) events.push(wd(`img${i}.cdn.assets-example.com`));
    for (let i = 0; i < 12; i++) events.push(wd(`db${i}.rds.amazonaws.com`));
    for (let i = 0; i < 12; i++) events.push(wd(`tenant${i}.workers.dev`));
    for (let i = 0; i < 12; i++) events.push(wd(`${'ab01'.repeat(10)}${i}.t.evil-example.com`));
    events.push(wd('already.example.org'));
    events.push(wd('dns.google', { reason: 'doh-resolver', ruleId: 'research/doh-resolvers' }));
    events.push(
      wd('api.newvendor.com', { qtype: 'TXT', reason: 'qtype-not-allowed', ruleId: 'research/qtypes' }),
    );
    events.push(wd('ancient.example.net', { ts: NOW - 30 * DAY }));
    events.push(wd('other-group.example.net', { group: 'other' }));
    events.push(wd('enforced.example.net', { decision: 'deny' }));
    events.push(wd('flaky.newvendor.com', { reason: 'not-allowlisted; upstream failed' }));
    writer.consume(events);
    return wouldDenyNames(
      scanQueries(db, { group: 'research', sinceMs: NOW - 7 * DAY, decisions: ['would-deny'] }),
    );
  }

  const suggestion = suggestEntries(await observed(), {
    wildcardMin: 10,
    covered: (name) => name === 'already.example.org',
  });
  const byDomain = new Map(suggestion.domains.map((d) => [d.registrableDomain, d]));

  it('proposes exact names for a domain with few names, most queried first', () => {
    const vendor = byDomain.get('newvendor.com');
    assert.deepEqual(
      vendor?.entries.map((e) => [e.domain, e.queries, e.agents]),
      [
        ['api.newvendor.com', 5, 2],
        ['flaky.newvendor.com', 1, 1],
        ['newvendor.com', 1, 1],
      ],
    );
  });

  it('proposes the narrowest wildcard for many subdomains of an ordinary domain', () => {
    const cdn = byDomain.get('assets-example.com');
    assert.deepEqual(
      cdn?.entries.map((e) => [e.domain, e.wildcard, e.names.length, e.queries]),
      [['*.cdn.assets-example.com', true, 12, 12]],
    );
  });

  it('never proposes a wildcard on a public suffix or a multi-tenant platform', () => {
    const rds = byDomain.get('amazonaws.com');
    assert.ok(rds);
    assert.equal(rds.entries.length, 12);
    assert.ok(rds.entries.every((e) => !e.wildcard));
    assert.match(rds.note ?? '', /no wildcard: .*multi-tenant/);
    // every *.workers.dev tenant is its own registrable domain: twelve exact names
    const workers = suggestion.domains.filter((d) => d.registrableDomain.endsWith('.workers.dev'));
    assert.equal(workers.length, 12);
    assert.ok(workers.every((d) => d.entries.length === 1 && d.entries[0]?.wildcard === false));
  });

  it('proposes nothing for names that look like encoded data', () => {
    const evil = byDomain.get('evil-example.com');
    assert.ok(evil);
    assert.equal(evil.suspicious, true);
    assert.deepEqual(evil.entries, []);
  });

  it('skips names already allowed, other reasons, other groups, other decisions and older queries', () => {
    const names = suggestion.domains.flatMap((d) => d.entries.flatMap((e) => e.names));
    for (const name of [
      'already.example.org',
      'dns.google',
      'ancient.example.net',
      'other-group.example.net',
      'enforced.example.net',
    ]) {
      assert.ok(!names.includes(name), name);
    }
    assert.deepEqual(suggestion.skipped.map((s) => [s.reason, s.names, s.queries]).sort(), [
      ['already-allowlisted', 1, 1],
      ['doh-resolver', 1, 1],
      ['qtype-not-allowed', 1, 1],
    ]);
  });

  it('renders allowlist YAML for a pull request, with TODO justifications and counts as comments', () => {
    const yamlText = renderSuggestionYaml(suggestion, {
      group: 'research',
      tier: 3,
      currentEntries: 40,
      cap: 50,
      since: NOW - 7 * DAY,
      now: NOW,
      command: 'dnsward allowlist suggest --group research --since 7d',
    });
    assert.match(
      yamlText,
      /# Group "research" \(tier 3\): 40 entries now \+ 28 suggested = 68 \(cap 50\) -- OVER THE TIER CAP/,
    );
    assert.match(yamlText, /- domain: api\.newvendor\.com # 5 queries, 2 agent\(s\)/);
    assert.match(yamlText, /- domain: '\*\.cdn\.assets-example\.com' # 12 queries/);
    const parsed = allowlistFileSchema.parse(parseYamlText(yamlText));
    assert.equal(parsed.entries.length, suggestion.entryCount);
    assert.ok(parsed.entries.every((e) => isPlaceholder(e.justification) && e.added === '2026-11-21'));
  });
});
