// `dnsward allowlist check` as CI runs it: exit 1 on errors, 0 with warnings only; text and JSON output.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/dnsward.js';

const run = promisify(execFile);

async function allowlist(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'allowlist', ...args], {
      cwd: REPO_ROOT,
      timeout: 20_000,
    });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('dnsward allowlist check', () => {
  it('exits 1 with "severity: file:line field: message [code]" lines when there are errors', async () => {
    const result = await allowlist('check', '--config', 'fixtures/operate/lint/config.yaml');
    assert.equal(result.code, 1, result.out);
    assert.match(
      result.out,
      /^error: fixtures\/operate\/lint\/research\.yaml:15 entries\[3\]\.domain: "\*\.amazonaws\.com" covers a multi-tenant platform .* \[multi-tenant-wildcard\]$/m,
    );
    assert.match(
      result.out,
      /^error: fixtures\/operate\/lint\/research\.yaml:19 entries\[4\]\.domain: .*\[public-suffix-wildcard\]$/m,
    );
    assert.match(
      result.out,
      /^error: fixtures\/operate\/lint\/minimal\.yaml:1 entries: tier 2 allows at most 5 .*\[tier-cap\]$/m,
    );
    assert.match(result.out, /^warning: .*research\.yaml:27 entries\[6\]\.expires: .*\[expired\]$/m);
    assert.match(result.out, /^failed: 2 group\(s\), 18 entries, 7 error\(s\), 7 warning\(s\)$/m);
  });

  it('exits 0 with warnings only, and prints one JSON document with --json', async () => {
    const text = await allowlist('check', '--config', 'fixtures/operate/lint/clean.yaml');
    assert.equal(text.code, 0, text.out);
    assert.match(text.out, /^ok: 1 group\(s\), 3 entries, 0 error\(s\), 1 warning\(s\)$/m);
    const json = await allowlist('check', '--config', 'fixtures/operate/lint/config.yaml', '--json');
    assert.equal(json.code, 1);
    const doc = JSON.parse(json.out) as {
      ok: boolean;
      errors: number;
      findings: { code: string; line: number }[];
    };
    assert.equal(doc.ok, false);
    assert.equal(doc.errors, 7);
    assert.ok(doc.findings.some((f) => f.code === 'placeholder-justification' && f.line === 32));
  });

  it('passes the shipped example allowlists', async () => {
    const result = await allowlist('check', '--config', 'fixtures/configs/valid.yaml');
    assert.equal(result.code, 0, result.out);
  });
});
