// PolicyReloader without sockets: swaps a changed policy, keeps the last good one on any error, refuses empty
// files, reports sections that need a restart, and tells the watcher which files to watch.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import type { Policy } from '../../../src/policy/compile.js';
import { emptyFiles, PolicyReloader, sectionsNeedingRestart } from '../../../src/policy/reload.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsward-reload-'));
const configPath = join(dir, 'dnsward.yaml');
const listPath = join(dir, 'agents.yaml');
after(() => rmSync(dir, { recursive: true, force: true }));

function config(port = 5353, allowlist = 'agents.yaml'): string {
  return `listen:
  udp: ['127.0.0.1:${port}']
identity:
  defaultGroup: agents
groups:
  - name: agents
    tier: 3
    clients: ['127.0.0.0/8']
    allowlists: [${allowlist}]
`;
}

function allowlist(...domains: string[]): string {
  const entries = domains.map(
    (domain) => `  - domain: ${domain}
    justification: 'needed by the test agent (T-1)'
    owner: tests
    added: 2026-01-01
`,
  );
  return `entries:\n${entries.join('')}`;
}

interface Harness {
  readonly reloader: PolicyReloader;
  readonly policies: Policy[];
  readonly outcomes: boolean[];
  readonly watched: (readonly string[])[];
  readonly logged: { level: string; msg: string }[];
}

function harness(): Harness {
  const policies: Policy[] = [];
  const outcomes: boolean[] = [];
  const watched: (readonly string[])[] = [];
  const logged: { level: string; msg: string }[] = [];
  const log = {
    info: (_: object, msg: string) => logged.push({ level: 'info', msg }),
    warn: (_: object, msg: string) => logged.push({ level: 'warn', msg }),
    error: (_: object, msg: string) => logged.push({ level: 'error', msg }),
  };
  const reloader = new PolicyReloader(loadConfig(configPath), {
    load: () => loadConfig(configPath),
    log,
    onPolicy: (policy) => policies.push(policy),
    onReloaded: (ok) => outcomes.push(ok),
    watch: (files) => watched.push(files),
  });
  return { reloader, policies, outcomes, watched, logged };
}

const allows = (policy: Policy, name: string): boolean =>
  policy.groupOf(policy.identify('127.0.0.1')).decide(name, 1, Date.now()).kind === 'allow';

describe('PolicyReloader', () => {
  beforeEach(() => {
    writeFileSync(configPath, config());
    writeFileSync(listPath, allowlist('api.example.com'));
  });

  it('compiles the first policy and reports it', () => {
    const h = harness();
    assert.deepEqual(h.policies, [h.reloader.current]);
    assert.ok(allows(h.reloader.current, 'api.example.com'));
    assert.deepEqual(h.reloader.files.sort(), [configPath, listPath].sort());
  });

  it('swaps in a changed allowlist and re-targets the watcher', () => {
    const h = harness();
    const first = h.reloader.current;
    writeFileSync(listPath, allowlist('api.example.com', 'new.example.com'));
    const result = h.reloader.reload('file-change', [listPath]);
    assert.equal(result.ok, true);
    assert.equal(result.changed, true);
    assert.notEqual(result.version, first.version);
    assert.equal(h.reloader.current.version, result.version);
    assert.ok(allows(h.reloader.current, 'new.example.com'));
    assert.equal(h.policies.length, 2);
    assert.deepEqual(h.outcomes, [true]);
    assert.deepEqual([...(h.watched.at(-1) ?? [])].sort(), [configPath, listPath].sort());
  });

  it('keeps the policy object when nothing changed', () => {
    const h = harness();
    const first = h.reloader.current;
    const result = h.reloader.reload('signal');
    assert.deepEqual(result, {
      ok: true,
      version: first.version,
      errors: [],
      changed: false,
      restartRequired: [],
    });
    assert.equal(h.reloader.current, first);
    assert.equal(h.policies.length, 1);
    assert.ok(h.logged.some((l) => l.msg === 'policy reloaded: unchanged'));
  });

  it('keeps the last good policy when an allowlist breaks, and watches both configs files', () => {
    const h = harness();
    const first = h.reloader.current;
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'entries:\n  - domain: x.example.com\n');
    writeFileSync(configPath, config(5353, 'broken.yaml'));
    const result = h.reloader.reload('api');
    assert.equal(result.ok, false);
    assert.equal(result.version, first.version);
    assert.ok(result.errors.some((e) => e.includes('broken.yaml')));
    assert.equal(h.reloader.current, first);
    assert.deepEqual(h.outcomes, [false]);
    assert.ok(h.watched.at(-1)?.includes(broken));
    assert.ok(h.watched.at(-1)?.includes(listPath));
    assert.ok(h.logged.some((l) => l.level === 'error'));
    // fixed: the next reload goes through
    writeFileSync(configPath, config());
    assert.equal(h.reloader.reload('file-change').ok, true);
  });

  it('refuses an allowlist caught empty between truncate and write', () => {
    const h = harness();
    writeFileSync(listPath, '  \n');
    const result = h.reloader.reload('file-change', [listPath]);
    assert.equal(result.ok, false);
    assert.ok(result.errors.some((e) => e.endsWith('empty (still being written?)')));
    assert.ok(allows(h.reloader.current, 'api.example.com'));
  });

  it('applies groups but names the sections that need a restart', () => {
    const h = harness();
    writeFileSync(configPath, config(5354));
    const result = h.reloader.reload('signal');
    assert.equal(result.ok, true);
    assert.deepEqual(result.restartRequired, ['listen']);
    assert.ok(h.logged.some((l) => l.level === 'warn'));
  });

  it('throws when the first policy does not compile (the server does not start)', () => {
    writeFileSync(listPath, 'entries: [');
    assert.throws(() => harness(), /problem|allowlist/i);
  });
});

describe('reload helpers', () => {
  it('emptyFiles names whitespace-only files, not missing ones', () => {
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '\n\t \n');
    assert.deepEqual(emptyFiles([empty, listPath, join(dir, 'missing.yaml')]), [empty]);
  });

  it('sectionsNeedingRestart ignores groups and identity', () => {
    assert.deepEqual(
      sectionsNeedingRestart(
        { groups: [1], identity: 1, store: 1, cache: 1 },
        { groups: [2], identity: 2, store: 2, cache: 1 },
      ),
      ['store'],
    );
  });
});
