// Config values are parsed strictly (H2): CIDRs, ports and durations that Number() or trim() would have bent
// into something else are refused with file:line, and /0 or host-bit CIDRs are warned about.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { DnswardError } from '../../../src/errors.js';
import { compilePolicy } from '../../../src/policy/compile.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsward-harden-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function load(yaml: string): ReturnType<typeof loadConfig> {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig(file);
}

function errorsOf(yaml: string): string[] {
  try {
    compilePolicy(load(yaml));
  } catch (error) {
    assert.ok(error instanceof DnswardError, String(error));
    return [error.message, ...error.details];
  }
  return [];
}

const group = (clients: string): string =>
  `identity: {defaultGroup: unknown}\ngroups:\n  - {name: research, tier: 4, mode: audit, clients: [${clients}]}\n`;

describe('strict config values', () => {
  it("H2: clients: ['10.40.0.0/'] is refused, not read as 0.0.0.0/0", () => {
    for (const cidr of ["'10.40.0.0/'", "'fd00::/'", "'10.0.0.0/0x10'", "'10.0.0.0/1e1'", "'10.0.0.0/ 16'"]) {
      const errors = errorsOf(group(cidr));
      assert.ok(
        errors.some((e) => /:3 groups\[0\]\.clients\[0\]: expected an IP address or CIDR/.test(e)),
        `${cidr}: ${errors.join('; ')}`,
      );
    }
  });

  it('H2: a /0 client rule and a CIDR with host bits set are warned about', () => {
    const policy = compilePolicy(load(group("'0.0.0.0/0', '10.30.4.17/16'")));
    assert.ok(policy.warnings.some((w) => /"0\.0\.0\.0\/0" matches every IPv4 address/.test(w)));
    assert.ok(policy.warnings.some((w) => /"10\.30\.4\.17\/16" has host bits set/.test(w)));
  });

  it('H2: ports must be decimal digits', () => {
    for (const listen of [
      "'127.0.0.1:'",
      "'127.0.0.1:0x35'",
      "'127.0.0.1: 53'",
      "'127.0.0.1:5e1'",
      "'[::1]:'",
    ])
      assert.throws(
        () => load(`listen: {udp: [${listen}]}\n`),
        (e: unknown) => e instanceof DnswardError && e.details.some((d) => /listen\.udp\[0\]/.test(d)),
        listen,
      );
    assert.equal(load("listen: {udp: ['127.0.0.1:5353']}\n").config.listen.udp[0]?.port, 5353);
  });

  it('H2: durations must be a number and a unit, exactly', () => {
    const q = (d: string): string =>
      `groups:\n  - {name: g, tier: 3, clients: ['10.0.0.0/8'], quarantine: {onSeverity: high, scope: agent, duration: ${d}}}\n`;
    for (const d of ["' 10m'", "'10m '", "'-1m'", "'1e3ms'", "'10 m'"])
      assert.throws(() => load(q(d)), DnswardError, d);
    assert.equal(load(q("'10m'")).config.groups[0]?.quarantine?.duration, 600_000);
  });
});

describe('L12: documented behaviour', () => {
  it('L12: metrics.listen as a bare port in YAML means loopback, as the README says', () => {
    assert.deepEqual(load("metrics: {listen: '9153'}\n").config.metrics.listen, {
      host: '127.0.0.1',
      port: 9153,
    });
    assert.deepEqual(load('metrics: {listen: 9154}\n').config.metrics.listen, {
      host: '127.0.0.1',
      port: 9154,
    });
    assert.equal(load('metrics: {listen: null}\n').config.metrics.listen, null);
  });
});
