// `dnsward config check` as a function: a summary and exit 0, or file:line lines and exit 1.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { configCheck } from '../../../src/cli/commands/config-check.js';
import { captureIo } from './io.js';

const FIXTURES = resolve(import.meta.dirname, '../../../fixtures');

describe('dnsward config check', () => {
  it('summarises a valid config and exits 0', () => {
    const io = captureIo();
    assert.equal(configCheck({ config: `${FIXTURES}/configs/valid.yaml`, allowlist: [] }, io), 0);
    assert.match(io.stdout(), /^ok: 5 group\(s\), \d+ allowlist entries, policy [0-9a-f]{12}\n$/);
  });

  it('prints each problem as file:line field: message and exits 1', () => {
    const io = captureIo();
    assert.equal(configCheck({ config: `${FIXTURES}/configs/invalid-fields.yaml`, allowlist: [] }, io), 1);
    const lines = io.stdout().trimEnd().split('\n');
    assert.equal(lines.length, 6);
    assert.ok(
      lines.every((line) => /invalid-fields\.yaml:\d+ \S+: /.test(line)),
      io.stdout(),
    );
  });

  it('--allowlist configures the default group', () => {
    const io = captureIo();
    const code = configCheck({ allowlist: [`${FIXTURES}/allowlists/bad-missing-justification.yaml`] }, io);
    assert.equal(code, 1);
    assert.match(io.stdout(), /bad-missing-justification\.yaml:7 entries\[1\]\.justification: Required/);
  });
});
