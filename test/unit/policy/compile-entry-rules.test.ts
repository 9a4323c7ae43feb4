// M8: what `allowlist check` calls an error is an error for the compiler too, so `config check`, `serve` and
// `reload` (all compilePolicy) refuse a wildcard on a public suffix or a multi-tenant platform.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { DnswardError } from '../../../src/errors.js';
import { compilePolicy } from '../../../src/policy/compile.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsward-harden-m8-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function compileWith(entries: string): string[] {
  writeFileSync(join(dir, 'allow.yaml'), `entries:\n${entries}`);
  const config = join(dir, 'dnsward.yaml');
  writeFileSync(
    config,
    `groups:\n  - {name: agents, tier: 3, clients: ['10.0.0.0/8'], allowlists: [allow.yaml]}\n`,
  );
  try {
    compilePolicy(loadConfig(config));
    return [];
  } catch (error) {
    assert.ok(error instanceof DnswardError);
    return [...error.details];
  }
}

const entry = (
  domain: string,
  justification = 'LLM calls for the summariser (TICKET-1)',
  owner = 'platform',
) => `  - { domain: "${domain}", justification: "${justification}", owner: ${owner}, added: 2026-01-01 }\n`;

describe('compilePolicy entry rules', () => {
  it('M8: *.com and *.amazonaws.com are refused by the compiler (config check, serve, reload)', () => {
    const errors = compileWith(entry('*.com') + entry('*.amazonaws.com') + entry('api.example.org'));
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.match(errors[0] ?? '', /allow\.yaml:2 domain: .*public suffix.*\(public-suffix-wildcard\)$/);
    assert.match(errors[1] ?? '', /allow\.yaml:3 domain: .*multi-tenant.*\(multi-tenant-wildcard\)$/);
  });

  it('M8: placeholder justifications and owners are refused too; a sound list compiles', () => {
    const errors = compileWith(
      entry('a.example.org', 'TODO') + entry('b.example.org', 'for the crawler role', 'tbd'),
    );
    assert.ok(errors.some((e) => /:2 justification: .*placeholder-justification/.test(e)));
    assert.ok(errors.some((e) => /:3 owner: .*placeholder-owner/.test(e)));
    assert.deepEqual(compileWith(entry('*.example.org') + entry('api.example.net')), []);
  });
});
