// The config and allowlist schemas, one row per file under fixtures/configs and fixtures/allowlists: what loads,
// and for what does not, each problem with its file, line and field.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { DnswardError } from '../../../src/errors.js';
import { loadAllowlistFile } from '../../../src/policy/allowlist-file.js';

const FIXTURES = resolve(import.meta.dirname, '../../../fixtures');

/** What loading gives: the file, or the "line field" of every problem, in order. */
const CONFIGS: Record<string, { groups: number } | { problems: readonly string[] }> = {
  'valid.yaml': { groups: 4 },
  'tier1-with-entries.yaml': { groups: 1 }, // the tier cap is compile's check, not the schema's
  'tier2-over-cap.yaml': { groups: 1 },
  'invalid-fields.yaml': {
    problems: [
      '2 listen.udp[0]',
      '4 groups[0].name',
      '5 groups[0].tier',
      '6 groups[0].clients[0]',
      '7 groups[0].qtypes[1]',
      '9 store.batchSize',
    ],
  },
};

const ALLOWLISTS: Record<string, { entries: number } | { problems: readonly string[] }> = {
  'expired.yaml': { entries: 1 },
  'six-entries.yaml': { entries: 6 },
  'bad-fields.yaml': { problems: ['2 entries[0].domain', '9 entries[1].added', '9 entries[1].added'] },
  'bad-missing-justification.yaml': { problems: ['7 entries[1].justification'] },
  'bad-yaml.yaml': { problems: ['4 (yaml)'] },
};

/** The "line field" of each "file:line field: message" detail, checking the file part names `file`. */
function problems(error: unknown, file: string): string[] {
  assert.ok(error instanceof DnswardError, String(error));
  return error.details.map((detail) => {
    const match = /^(.*):(\d+) (\S+): .+$/s.exec(detail);
    assert.ok(match, detail);
    assert.ok(match[1]?.endsWith(file), `${detail} names ${file}`);
    return `${match[2] ?? ''} ${match[3] ?? ''}`;
  });
}

describe('config schema, one row per fixtures/configs file', () => {
  it('has a row for every fixture', () => {
    assert.deepEqual(readdirSync(join(FIXTURES, 'configs')).sort(), Object.keys(CONFIGS).sort());
  });
  for (const [file, want] of Object.entries(CONFIGS)) {
    it(file, () => {
      const path = join(FIXTURES, 'configs', file);
      if (!('problems' in want)) {
        const loaded = loadConfig(path);
        assert.equal(loaded.config.groups.length, want.groups);
        assert.equal(loaded.file, path);
        assert.ok(Object.isFrozen(loaded.config));
        return;
      }
      assert.deepEqual(
        problems(
          captured(() => loadConfig(path)),
          file,
        ),
        want.problems,
      );
    });
  }

  it('the embedded default loads and fills every section', () => {
    const loaded = loadConfig(undefined);
    assert.equal(loaded.file, null);
    assert.ok(loaded.config.listen.udp.length > 0);
    assert.equal(loaded.config.identity.defaultGroup.length > 0, true);
  });

  it('CLI overrides win over the file; --mode configures the default group (implicit here)', () => {
    const loaded = loadConfig(join(FIXTURES, 'configs', 'valid.yaml'), { mode: 'audit', db: ':memory:' });
    assert.equal(loaded.config.groups.find((g) => g.name === 'unknown')?.mode, 'audit');
    assert.equal(loaded.config.groups.find((g) => g.name === 'default')?.mode, 'enforce');
    assert.equal(loaded.config.store.path, ':memory:');
  });

  it('--db takes a store URL as store.url and a bare path as store.path', () => {
    const file = join(FIXTURES, 'configs', 'valid.yaml');
    const pg = loadConfig(file, { db: 'postgres://dnsward@db.example:5432/dnsward' }).config.store;
    assert.equal(pg.url, 'postgres://dnsward@db.example:5432/dnsward');
    const sqlite = loadConfig(file, { db: 'sqlite:/var/lib/dnsward/x.db' }).config.store;
    assert.equal(sqlite.url, 'sqlite:/var/lib/dnsward/x.db');
    const path = loadConfig(file, { db: 'data/dnsward.db' }).config.store;
    assert.deepEqual([path.url, path.path], [null, 'data/dnsward.db']);
  });
});

describe('allowlist schema, one row per fixtures/allowlists file', () => {
  it('has a row for every fixture', () => {
    assert.deepEqual(readdirSync(join(FIXTURES, 'allowlists')).sort(), Object.keys(ALLOWLISTS).sort());
  });
  for (const [file, want] of Object.entries(ALLOWLISTS)) {
    it(file, () => {
      const path = join(FIXTURES, 'allowlists', file);
      if (!('problems' in want)) {
        const list = loadAllowlistFile(path, file);
        assert.equal(list.entries.length, want.entries);
        for (const entry of list.entries) assert.match(entry.id, new RegExp(`^${file}:${entry.line} `));
        return;
      }
      assert.deepEqual(
        problems(
          captured(() => loadAllowlistFile(path, file)),
          file,
        ),
        want.problems,
      );
    });
  }
});

function captured(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}
