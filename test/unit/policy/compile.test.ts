// compilePolicy: one row per fixture config (what compiles, and the file:line field of what does not), then the
// rules compile enforces across files: duplicates, expiry, group mismatch, the implicit default group, versions.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import { DnswardError } from '../../../src/errors.js';
import { compilePolicy, type Policy } from '../../../src/policy/compile.js';

const FIXTURES = resolve(import.meta.dirname, '../../../fixtures');
const NOW = Date.parse('2026-12-02T00:00:00Z');

/** Per fixture config: the groups it compiles to, or the "file:line field" of each problem. */
const ROWS: Record<string, { groups: readonly string[] } | { problems: readonly string[] }> = {
  'configs/valid.yaml': { groups: ['zero-egress', 'minimal', 'default', 'research', 'unknown'] },
  'configs/tier1-with-entries.yaml': { problems: ['allowlists/expired.yaml:1 entries'] },
  'configs/tier2-over-cap.yaml': { problems: ['allowlists/six-entries.yaml:1 entries'] },
  'operate/lint/clean.yaml': { groups: ['clean', 'unknown'] },
  'operate/lint/config.yaml': {
    // what `allowlist check` calls an error is a compile error too (security probe M8)
    problems: [
      'operate/lint/research.yaml:15 domain',
      'operate/lint/research.yaml:19 domain',
      'operate/lint/research.yaml:23 domain',
      'operate/lint/research.yaml:32 justification',
      'operate/lint/research.yaml:36 owner',
      'operate/lint/research-extra.yaml:3 domain',
      'operate/lint/minimal.yaml:1 entries',
    ],
  },
};

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DnswardError, String(error));
    assert.equal(error.code, 'DNSWARD_ERR_ALLOWLIST');
    return error.details.map((detail) => {
      const match = /^(.*):(\d+) (\S+): /.exec(detail);
      assert.ok(match, detail);
      const file = (match[1] ?? '').replace(/^.*fixtures\//, '');
      return `${file}:${match[2] ?? ''} ${match[3] ?? ''}`;
    });
  }
  return assert.fail('expected the policy not to compile');
}

const decide = (policy: Policy, address: string, name: string, qtype = 1, now = NOW): string => {
  const decision = policy.groupOf(policy.identify(address)).decide(name, qtype, now);
  return `${decision.kind} ${decision.ruleId}`;
};

describe('compilePolicy, one row per fixture config', () => {
  for (const [file, want] of Object.entries(ROWS)) {
    it(file, () => {
      const loaded = loadConfig(join(FIXTURES, file));
      if ('problems' in want) {
        assert.deepEqual(
          problems(() => compilePolicy(loaded, NOW)),
          want.problems,
        );
        return;
      }
      const policy = compilePolicy(loaded, NOW);
      assert.deepEqual([...policy.groups.keys()], want.groups);
      assert.match(policy.version, /^[0-9a-f]{12}$/);
      assert.ok(Object.isFrozen(policy));
    });
  }

  it('the embedded default compiles to deny-all', () => {
    const policy = compilePolicy(loadConfig(undefined), NOW);
    assert.match(decide(policy, '127.0.0.1', 'example.com'), /^deny /);
  });
});

describe('compilePolicy across files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-compile-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const entry = (domain: string, expires?: string): Record<string, string> => ({
    domain,
    justification: 'needed by the test agents (T-1)',
    owner: 'tests',
    added: '2026-01-01',
    ...(expires === undefined ? {} : { expires }),
  });
  const write = (name: string, value: unknown): string => {
    writeFileSync(join(dir, name), stringify(value));
    return join(dir, name);
  };
  const config = (allowlists: string[], extra: Record<string, unknown> = {}): string =>
    write('dnsward.yaml', {
      identity: { defaultGroup: 'other' },
      groups: [
        {
          name: 'agents',
          tier: 3,
          clients: ['10.0.0.0/24', { cidr: '10.0.0.7/32', agent: 'seven' }],
          allowlists,
          ...extra,
        },
      ],
    });

  it('matches allowlisted names (exact and wildcard) and denies the rest, per identity rule', () => {
    write('a.yaml', { entries: [entry('api.example.com'), entry('*.cdn.example.net')] });
    const policy = compilePolicy(loadConfig(config(['a.yaml'])), NOW);
    assert.match(decide(policy, '10.0.0.1', 'api.example.com'), /^allow .*a\.yaml:2 api\.example\.com$/);
    assert.match(decide(policy, '10.0.0.1', 'x.cdn.example.net'), /^allow /);
    assert.equal(decide(policy, '10.0.0.1', 'cdn.example.net'), 'deny agents/default-deny');
    assert.equal(policy.identify('10.0.0.7').id, 'seven');
    // outside every group: the implicit default group, tier 1
    assert.deepEqual(policy.identify('192.0.2.1').group, 'other');
    assert.equal(decide(policy, '192.0.2.1', 'api.example.com'), 'deny other/tier1');
  });

  it('reports a domain listed in two files of one group with both places', () => {
    write('a.yaml', { entries: [entry('api.example.com')] });
    write('b.yaml', { entries: [entry('other.example.com'), entry('api.example.com')] });
    const details = problems(() => compilePolicy(loadConfig(config(['a.yaml', 'b.yaml'])), NOW));
    assert.equal(details.length, 1);
    assert.match(details[0] ?? '', /b\.yaml:6 domain$/);
  });

  it('warns about an expired entry, which no longer matches', () => {
    write('a.yaml', { entries: [entry('old.example.com', '2026-06-01'), entry('api.example.com')] });
    const policy = compilePolicy(loadConfig(config(['a.yaml'])), NOW);
    assert.equal(policy.warnings.length, 1);
    assert.match(policy.warnings[0] ?? '', /a\.yaml:2 expires: "old\.example\.com" expired on 2026-06-01/);
    assert.equal(decide(policy, '10.0.0.1', 'old.example.com'), 'deny agents/default-deny');
    assert.match(decide(policy, '10.0.0.1', 'old.example.com', 1, Date.parse('2026-05-01')), /^allow /);
  });

  it('warns when a file says it is for another group', () => {
    write('a.yaml', { group: 'research', entries: [entry('api.example.com')] });
    const policy = compilePolicy(loadConfig(config(['a.yaml'])), NOW);
    assert.match(
      policy.warnings[0] ?? '',
      /a\.yaml:1 group: file says group "research" but is used by group "agents"/,
    );
  });

  it('collects every file problem before failing (a missing file and a bad one)', () => {
    write('bad.yaml', { entries: [{ domain: 'x.example.com' }] });
    const details = problems(() => compilePolicy(loadConfig(config(['missing.yaml', 'bad.yaml'])), NOW));
    assert.ok(details.some((d) => d.endsWith('missing.yaml:1 (file)')));
    assert.ok(details.some((d) => /bad\.yaml:2 entries\[0\]\.\w+$/.test(d)));
  });

  it('versions change with the rules and only with them', () => {
    write('a.yaml', { entries: [entry('api.example.com')] });
    const loaded = loadConfig(config(['a.yaml']));
    const first = compilePolicy(loaded, NOW).version;
    assert.equal(compilePolicy(loaded, NOW + 1000).version, first);
    write('a.yaml', { entries: [entry('api.example.com'), entry('new.example.com')] });
    assert.notEqual(compilePolicy(loadConfig(config(['a.yaml'])), NOW).version, first);
  });

  it('compiles qtypes per group: the tier default, or the list given', () => {
    write('a.yaml', { entries: [entry('api.example.com')] });
    const TXT = 16;
    const tierDefault = compilePolicy(loadConfig(config(['a.yaml'])), NOW);
    const onlyA = compilePolicy(loadConfig(config(['a.yaml'], { qtypes: ['A'] })), NOW);
    assert.match(decide(tierDefault, '10.0.0.1', 'api.example.com', 28), /^allow /);
    assert.equal(decide(onlyA, '10.0.0.1', 'api.example.com', TXT), 'deny agents/qtypes');
  });
});
