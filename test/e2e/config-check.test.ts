// `dnsward config check`: exit codes and "file:line field: message" lines that scripts rely on.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/dnsward.js';

const run = promisify(execFile);

async function check(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'config', 'check', ...args],
      { cwd: REPO_ROOT },
    );
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('dnsward config check', () => {
  it('accepts the embedded default and the shipped example config', async () => {
    assert.equal((await check()).code, 0);
    const valid = await check('--config', 'fixtures/configs/valid.yaml');
    assert.equal(valid.code, 0, valid.out);
    assert.match(valid.out, /ok: 5 group\(s\)/);
  });

  const cases: [string, string[], RegExp[]][] = [
    [
      'a missing justification names file, line and field',
      ['--allowlist', 'fixtures/allowlists/bad-missing-justification.yaml'],
      [/^fixtures\/allowlists\/bad-missing-justification\.yaml:7 entries\[1\]\.justification: Required$/m],
    ],
    [
      'bad domain and date',
      ['--allowlist', 'fixtures/allowlists/bad-fields.yaml'],
      [
        /^fixtures\/allowlists\/bad-fields\.yaml:2 entries\[0\]\.domain: expected a hostname/m,
        /bad-fields\.yaml:9 entries\[1\]\.added: expected a date/m,
      ],
    ],
    ['broken YAML', ['--allowlist', 'fixtures/allowlists/bad-yaml.yaml'], [/bad-yaml\.yaml:\d+ \(yaml\): /]],
    [
      'tier 2 over its cap of 5',
      ['--config', 'fixtures/configs/tier2-over-cap.yaml'],
      [/six-entries\.yaml:1 entries: tier 2 allows at most 5 destinations; group "minimal" has 6/],
    ],
    [
      'tier 1 with any entry',
      ['--config', 'fixtures/configs/tier1-with-entries.yaml'],
      [/tier 1 allows at most 0 destinations/],
    ],
    [
      'invalid config fields',
      ['--config', 'fixtures/configs/invalid-fields.yaml'],
      [
        /invalid-fields\.yaml:2 listen\.udp\[0\]: expected an IP address/,
        /invalid-fields\.yaml:4 groups\[0\]\.name: /,
        /invalid-fields\.yaml:5 groups\[0\]\.tier: /,
        /invalid-fields\.yaml:6 groups\[0\]\.clients\[0\]: /,
        /invalid-fields\.yaml:7 groups\[0\]\.qtypes\[1\]: /,
        /invalid-fields\.yaml:9 store\.batchSize: /,
      ],
    ],
    ['a missing file', ['--config', 'fixtures/configs/nope.yaml'], [/nope\.yaml:1 \(file\): /]],
  ];
  for (const [name, args, patterns] of cases) {
    it(`rejects ${name} with exit 1`, async () => {
      const result = await check(...args);
      assert.equal(result.code, 1, result.out);
      for (const pattern of patterns) assert.match(result.out, pattern);
    });
  }

  it('warns about expired entries without failing', async () => {
    const result = await check('--allowlist', 'fixtures/allowlists/expired.yaml');
    assert.equal(result.code, 0, result.out);
    assert.match(
      result.out,
      /warning: fixtures\/allowlists\/expired\.yaml:2 expires: "old\.example\.org" expired on 2025-06-30/,
    );
  });
});
