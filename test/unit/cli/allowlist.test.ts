// `dnsward allowlist check|stale|suggest` as functions over fixture configs and a prepared database.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { allowlistCheck, allowlistStale, allowlistSuggest } from '../../../src/cli/commands/allowlist.js';
import { AllowlistHitRecorder, hitWriter } from '../../../src/store/allowlist-hits.js';
import { openDatabase } from '../../../src/store/database.js';
import { QueryLogWriter } from '../../../src/store/query-log-writer.js';
import { event } from '../detect/scenario.js';
import { captureIo } from './io.js';

const LINT = resolve(import.meta.dirname, '../../../fixtures/operate/lint');
const DAY = 86_400_000;

describe('dnsward allowlist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-cli-allowlist-'));
  const db = join(dir, 'a.db');
  // later than the database's hit tracking start, so every entry can be judged
  const now = Date.now() + 200 * DAY;
  after(() => rmSync(dir, { recursive: true, force: true }));
  before(() => {
    const handle = openDatabase(db);
    const write = hitWriter(handle);
    new AllowlistHitRecorder((rows) => {
      write(rows);
      return Promise.resolve();
    }).consume([event({ group: 'clean', ruleId: 'clean-list.yaml:3 api.example.org', ts: now - DAY })]);
    new QueryLogWriter(handle, 365 * DAY).consume(
      ['a1', 'a2', 'a3'].map((label, i) =>
        event({
          ts: now - DAY + i,
          group: 'clean',
          qname: `${label}.newapi.example.com`,
          decision: 'would-deny',
          reason: 'not-allowlisted',
        }),
      ),
    );
    handle.close();
  });

  it('check passes a clean config with its warning, exit 0', () => {
    const io = captureIo();
    assert.equal(allowlistCheck({ config: join(LINT, 'clean.yaml'), allowlist: [] }, io), 0);
    assert.match(io.stdout(), /^warning: .*clean-list\.yaml:\d+ .*justification/m);
    assert.match(io.stdout(), /^ok: 1 group\(s\), 3 entries, 0 error\(s\), 1 warning\(s\)$/m);
  });

  it('check fails on duplicates and tier caps, exit 1; --json is one document', () => {
    const io = captureIo();
    assert.equal(allowlistCheck({ config: join(LINT, 'config.yaml'), allowlist: [], json: true }, io), 1);
    const report = JSON.parse(io.stdout()) as { ok: boolean; findings: { code: string }[] };
    assert.equal(report.ok, false);
    const codes = new Set(report.findings.map((f) => f.code));
    assert.ok(codes.has('duplicate') && codes.has('tier-cap'), [...codes].join(','));
  });

  it('stale lists the entries without a hit for --days', async () => {
    const io = captureIo(now);
    assert.equal(
      await allowlistStale({ config: join(LINT, 'clean.yaml'), allowlist: [], db, days: 90, json: true }, io),
      0,
    );
    const report = JSON.parse(io.stdout()) as { checked: number; stale: { domain: string }[] };
    assert.equal(report.checked, 3);
    assert.deepEqual(report.stale.map((s) => s.domain).sort(), ['*.cdn.example.org', 'ok.example.org']);
  });

  it('stale and suggest report a config that does not compile on stderr, exit 1', async () => {
    const io = captureIo(now);
    assert.equal(
      await allowlistStale({ config: join(LINT, 'config.yaml'), allowlist: [], db, days: 90 }, io),
      1,
    );
    assert.match(io.stderr(), /fix these first/);
    assert.equal(io.stdout(), '');
  });

  it("suggest proposes entries from a group's would-deny queries", async () => {
    const io = captureIo(now);
    const options = {
      config: join(LINT, 'clean.yaml'),
      allowlist: [],
      db,
      group: 'clean',
      since: '7d',
      wildcardMin: 2,
    };
    assert.equal(await allowlistSuggest({ ...options, json: true }, io), 0);
    const report = JSON.parse(io.stdout()) as {
      group: string;
      entryCount: number;
      domains: { registrableDomain: string }[];
    };
    assert.equal(report.group, 'clean');
    assert.ok(report.entryCount >= 1);
    assert.deepEqual(
      report.domains.map((d) => d.registrableDomain),
      ['example.com'],
    );
    const yaml = captureIo(now);
    assert.equal(await allowlistSuggest(options, yaml), 0);
    assert.match(yaml.stdout(), /newapi\.example\.com/);
  });
});
