// `dnsward replay` on the project's own real captures: labels pass, wrong labels fail, output is deterministic.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT, startDnsward } from '../helpers/dnsward.js';

const run = promisify(execFile);
/** Every capture fixtures/labels.json labels (fixtures/make-captures.sh writes both). */
const CAPTURES = Object.keys(
  (JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures/labels.json'), 'utf8')) as { files: object }).files,
).map((file) => `fixtures/${file}`);
const RESOLVERS = ['--resolver', '127.0.0.1', '--resolver', '::1'];

async function replay(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'replay', ...args],
      {
        cwd: REPO_ROOT,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Report {
  files: {
    file: string;
    queries: number;
    firstAlert: { severity: string; queries: number; bytesAttempted: number } | null;
    error: string | null;
  }[];
  queries: number;
  decisions: Record<string, number>;
  alerts: { rule: string; severity: string; baseDomain: string; file: string; firstSeen: string }[];
}

describe('dnsward replay', () => {
  it('passes the labels of the project captures', async () => {
    const result = await replay(
      ...CAPTURES,
      ...RESOLVERS,
      '--expect',
      'fixtures/labels.json',
      '--format',
      'json',
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    assert.equal(report.files.length, CAPTURES.length);
    assert.ok(report.queries > 500);
    const tunnels = report.alerts.filter((a) => a.severity === 'high' || a.severity === 'critical');
    assert.ok(tunnels.some((a) => a.file.includes('iodine') && a.baseDomain.endsWith('.test')));
    assert.ok(tunnels.some((a) => a.file.includes('dns2tcp')));
    assert.doesNotMatch(result.stderr, /FAIL/);
    // alert times are capture time, not replay time
    const years = new Set(report.alerts.map((a) => a.firstSeen.slice(0, 4)));
    assert.ok(years.size >= 1);
    // issue 21: every evasive style's first alert (>= medium) within 10 queries and 512 bytes
    const evasive = report.files.filter((f) => f.file.includes('/evasive-'));
    assert.ok(evasive.length >= 7);
    for (const f of evasive) {
      assert.ok(f.firstAlert !== null, `${f.file}: no alert`);
      assert.ok(
        f.firstAlert.queries <= 10,
        `${f.file}: first alert after ${String(f.firstAlert.queries)} queries`,
      );
      assert.ok(
        f.firstAlert.bytesAttempted <= 512,
        `${f.file}: ${String(f.firstAlert.bytesAttempted)} bytes first`,
      );
    }
  });

  it('fails with a readable diff when a label expects the wrong thing', async () => {
    const labels = JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures/labels.json'), 'utf8')) as {
      files: Record<
        string,
        { malicious: { zone: string; registrable_domain: string; min_severity?: string }[] }
      >;
    };
    const benign = labels.files['benign-agent.pcap'];
    assert.ok(benign);
    benign.malicious.push({
      zone: 'x.llm-provider.example',
      registrable_domain: 'llm-provider.example',
      min_severity: 'high',
    });
    const iodine = labels.files['iodine-tunnel.pcap'];
    assert.ok(iodine?.malicious[0]);
    iodine.malicious[0].registrable_domain = 'somewhere-else.test';
    const dir = mkdtempSync(join(tmpdir(), 'dnsward-labels-'));
    const path = join(dir, 'labels.json');
    writeFileSync(path, JSON.stringify(labels));
    const result = await replay(...CAPTURES, ...RESOLVERS, '--expect', path);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /FAIL fixtures\/benign-agent\.pcap: llm-provider\.example .* expected an alert >= high, got no alert/,
    );
    assert.match(
      result.stderr,
      /FAIL fixtures\/iodine-tunnel\.pcap: somewhere-else\.test .* expected an alert >= \w+, got no alert/,
    );
    // and the tunnel domain, no longer labelled malicious, is now a false alert
    assert.match(
      result.stderr,
      /FAIL fixtures\/iodine-tunnel\.pcap: tunnel-lab\.test expected nothing above low/,
    );
  });

  it('gives byte-identical JSON for the same capture twice', async () => {
    const first = await replay('fixtures/iodine-tunnel.pcap', '--format', 'json');
    const second = await replay('fixtures/iodine-tunnel.pcap', '--format', 'json');
    assert.equal(first.code, 0);
    assert.equal(first.stdout, second.stdout);
  });

  it('reports a truncated capture with its offset, keeps what it read, and exits 1', async () => {
    const whole = readFileSync(join(REPO_ROOT, 'fixtures/iodine-tunnel.pcap'));
    const dir = mkdtempSync(join(tmpdir(), 'dnsward-cut-'));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2) + 7));
    const result = await replay(cut, '--format', 'json');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /capture read stopped early: .*offset \d+/);
    const report = JSON.parse(result.stdout) as Report;
    assert.ok((report.files[0]?.queries ?? 0) > 50);
    assert.ok(report.alerts.length > 0);
  });

  it('--live sends the captured queries to a running dnsward from the captured client addresses', async () => {
    const server = await startDnsward({
      identity: { defaultGroup: 'agents' },
      groups: [{ name: 'agents', tier: 3, clients: [{ cidr: '127.0.0.21/32', agent: 'captured-agent' }] }],
    });
    try {
      const result = await replay(
        'fixtures/iodine-tunnel.pcap',
        '--live',
        `127.0.0.1:${server.port}`,
        '--max',
        '--format',
        'json',
      );
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as Report & {
        live: { sent: number; answered: number; lost: number; rcodes: Record<string, number> };
      };
      assert.equal(report.live.sent, report.queries);
      assert.equal(report.live.lost, 0);
      // the running server's policy denies the tunnel zone: NXDOMAIN, or NODATA where only the qtype is denied (L3)
      const nodata = report.live.rcodes.NOERROR ?? 0;
      assert.ok(nodata > 0, 'the tunnel qtypes (NULL, ...) outside the group set are answered NODATA');
      assert.equal((report.live.rcodes.NXDOMAIN ?? 0) + nodata, report.live.sent);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const { stdout } = await run(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/main.ts',
          'queries',
          '--db',
          server.dbPath,
          '--agent',
          'captured-agent',
          '--json',
          '--limit',
          '100000',
        ],
        { cwd: REPO_ROOT },
      );
      assert.equal((JSON.parse(stdout) as unknown[]).length, report.live.sent);
    } finally {
      await server.stop();
    }
  });

  it('--live refuses a target that is not loopback', async () => {
    const result = await replay('fixtures/iodine-tunnel.pcap', '--live', '192.0.2.1:53');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--live sends only to loopback/);
  });
});
