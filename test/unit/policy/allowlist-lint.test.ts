// `allowlist check` rules: each finding on the prepared fixture, and the wildcard risk table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import {
  isPlaceholder,
  lintAllowlists,
  wildcardRisk,
  type LintFinding,
} from '../../../src/policy/allowlist-lint.js';
import { REPO_ROOT } from '../../helpers/dnsward.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const DIR = `${REPO_ROOT}/fixtures/operate/lint`;

function lint(config: string, now = NOW): LintFinding[] {
  return [...lintAllowlists(loadConfig(`${DIR}/${config}`), now).findings];
}

function codesFor(findings: readonly LintFinding[], domain: string | null): string[] {
  return findings
    .filter((f) => f.domain === domain)
    .map((f) => `${f.severity}:${f.code}`)
    .sort();
}

describe('allowlist check', () => {
  const findings = lint('config.yaml');

  const cases: [string, string | null, string[]][] = [
    ['a wildcard on a multi-tenant platform', '*.amazonaws.com', ['error:multi-tenant-wildcard']],
    ['a wildcard on a private public suffix', '*.workers.dev', ['error:public-suffix-wildcard']],
    [
      'a wildcard on a deeper public suffix, also shadowed',
      '*.s3.amazonaws.com',
      ['error:public-suffix-wildcard', 'warning:shadowed'],
    ],
    ['an exact name covered by a wildcard', 'docs.example.org', ['warning:shadowed']],
    ['an expired entry', 'old.example.net', ['warning:expired']],
    ['a placeholder justification', 'todo.example.net', ['error:placeholder-justification']],
    ['a placeholder owner', 'owner.example.net', ['error:placeholder-owner']],
    ['a justification too short to review', 'short.example.net', ['warning:short-justification']],
    ['a safe wildcard', '*.example.org', []],
    // listed twice (and, the first time, covered by *.example.org)
    ['a duplicate', 'api.example.org', ['error:duplicate', 'warning:shadowed']],
  ];
  for (const [what, domain, expected] of cases) {
    it(`reports ${what}`, () => assert.deepEqual(codesFor(findings, domain), expected));
  }

  it('reports the tier cap and a file used by another group, with file, line and field', () => {
    const cap = findings.find((f) => f.code === 'tier-cap');
    assert.ok(cap);
    assert.equal(cap.severity, 'error');
    assert.match(cap.file, /minimal\.yaml$/);
    assert.equal(cap.field, 'entries');
    assert.match(cap.message, /tier 2 allows at most 5 destinations; group "minimal" has 6/);
    assert.equal(findings.find((f) => f.code === 'group-mismatch')?.severity, 'warning');
    const duplicate = findings.find((f) => f.code === 'duplicate');
    assert.ok(duplicate);
    assert.match(duplicate.file, /research-extra\.yaml$/);
    assert.equal(duplicate.line, 3);
    assert.equal(duplicate.field, 'entries[0].domain');
    const placeholder = findings.find((f) => f.code === 'placeholder-justification');
    assert.ok(placeholder);
    assert.equal(placeholder.line, 32);
    assert.equal(placeholder.field, 'entries[7].justification');
  });

  it('warns about entries expiring within 30 days, and passes a clean allowlist', () => {
    const soon = lint('clean.yaml', Date.parse('2098-12-15T00:00:00Z'));
    assert.deepEqual(codesFor(soon, 'api.example.org'), ['warning:expires-soon']);
    const clean = lint('clean.yaml');
    assert.equal(clean.filter((f) => f.severity === 'error').length, 0);
    assert.deepEqual(
      clean.map((f) => f.code),
      ['short-justification'],
    );
  });

  it('reports schema problems (a missing justification) as errors with file and line', () => {
    const loaded = loadConfig(undefined, {
      allowlist: [`${REPO_ROOT}/fixtures/allowlists/bad-missing-justification.yaml`],
    });
    const result = lintAllowlists(loaded, NOW);
    const schema = result.findings.find((f) => f.code === 'schema');
    assert.ok(schema);
    assert.equal(schema.severity, 'error');
    assert.equal(schema.line, 7);
    assert.equal(schema.field, 'entries[1].justification');
  });
});

describe('wildcardRisk', () => {
  const risky: [string, string][] = [
    ['com', 'public-suffix-wildcard'],
    ['co.uk', 'public-suffix-wildcard'],
    ['workers.dev', 'public-suffix-wildcard'],
    ['cloudfront.net', 'public-suffix-wildcard'],
    ['herokuapp.com', 'public-suffix-wildcard'],
    ['github.io', 'public-suffix-wildcard'],
    ['vercel.app', 'public-suffix-wildcard'],
    ['run.app', 'public-suffix-wildcard'], // "*.run.app" is itself a rule: every label below is a suffix
    ['s3.amazonaws.com', 'public-suffix-wildcard'],
    ['amazonaws.com', 'multi-tenant-wildcard'],
    ['rds.amazonaws.com', 'multi-tenant-wildcard'],
    ['blob.core.windows.net', 'public-suffix-wildcard'],
    ['core.windows.net', 'multi-tenant-wildcard'],
    ['webhook.site', 'multi-tenant-wildcard'],
  ];
  for (const [suffix, code] of risky) {
    it(`flags *.${suffix}`, () => assert.equal(wildcardRisk(suffix)?.code, code));
  }
  for (const suffix of ['example.org', 'cdn.example.org', 'my-team.github.io', 'bucket.s3.amazonaws.com']) {
    it(`accepts *.${suffix}`, () => assert.equal(wildcardRisk(suffix), null));
  }
});

describe('isPlaceholder', () => {
  for (const text of ['TODO', 'todo', 'TBD.', 'n/a', '-', '???', 'FIXME: later', 'why? TODO']) {
    it(`flags "${text}"`, () => assert.equal(isPlaceholder(text), true));
  }
  for (const text of ['Test environment for the QA role (QA-1)', 'Todoist API for the planner (SEC-9)']) {
    it(`accepts "${text}"`, () => assert.equal(isPlaceholder(text), false));
  }
});
