// L10: a DNS listener beyond loopback while unknown clients are served, and metrics beyond loopback, are warned.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { exposureWarnings } from '../../../src/policy/exposure-warnings.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsward-harden-l10-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function warningsFor(yaml: string): string[] {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(
    join(dir, 'allow.yaml'),
    'entries:\n  - { domain: api.example.org, justification: "summariser calls (T-1)", owner: platform, added: 2026-01-01 }\n',
  );
  writeFileSync(file, yaml);
  const loaded = loadConfig(file);
  return exposureWarnings(loaded.config, compilePolicy(loaded));
}

describe('exposureWarnings', () => {
  it('L10: a non-loopback listener with a catch-all default group, and non-loopback metrics, are warned', () => {
    const warnings = warningsFor(
      "listen: {udp: ['0.0.0.0:5353'], tcp: ['0.0.0.0:5353']}\nmetrics: {listen: '0.0.0.0:9153'}\nidentity: {defaultGroup: default}\ngroups:\n  - {name: default, tier: 3, allowlists: [allow.yaml]}\n",
    );
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(
      warnings[0] ?? '',
      /0\.0\.0\.0:5353 \(not loopback\) while unknown clients fall into group "default"/,
    );
    assert.match(warnings[1] ?? '', /metrics on 0\.0\.0\.0:9153 \(not loopback\)/);
  });

  it('L10: loopback, or a deny-all default group, is not warned', () => {
    assert.deepEqual(
      warningsFor(
        'identity: {defaultGroup: default}\ngroups:\n  - {name: default, tier: 3, allowlists: [allow.yaml]}\n',
      ),
      [],
    );
    assert.deepEqual(
      warningsFor(
        "listen: {udp: ['0.0.0.0:5353'], tcp: ['[::]:5353']}\nidentity: {defaultGroup: unknown}\ngroups:\n  - {name: agents, tier: 3, clients: ['10.0.0.0/8'], allowlists: [allow.yaml]}\n",
      ),
      [],
    );
  });
});
