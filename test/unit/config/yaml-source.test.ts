// L7: an unquoted `*.x` in YAML is an alias to a missing anchor: reported with file:line and a hint, not a stack.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { parseYaml } from '../../../src/config/yaml-source.js';
import { DnswardError } from '../../../src/errors.js';

describe('parseYaml', () => {
  it('L7: an unquoted *.wild.example.com names file:line and says to quote it', () => {
    const text = 'entries:\n  - domain: api.example.com\n  - domain: *.wild.example.com\n';
    assert.throws(
      () => parseYaml('allow.yaml', text, z.unknown(), 'DNSWARD_ERR_ALLOWLIST'),
      (e: unknown) =>
        e instanceof DnswardError &&
        e.code === 'DNSWARD_ERR_ALLOWLIST' &&
        e.details.length === 1 &&
        /^allow\.yaml:3 \(yaml\): \*\.wild\.example\.com is read as a YAML alias; quote a wildcard: '\*\.wild\.example\.com'$/.test(
          e.details[0] ?? '',
        ),
    );
  });
});
