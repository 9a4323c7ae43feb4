// The Prometheus rules and the Grafana dashboard against real tools: promtool checks and unit-tests the rules; a
// real Prometheus on loopback scrapes a running dnsward; every dashboard expression parses there and names a
// metric dnsward exports.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { dig } from '../helpers/dig.js';
import { REPO_ROOT, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { freePort } from '../helpers/ports.js';
import { startProcess, waitFor, type Running } from '../helpers/processes.js';

const run = promisify(execFile);
const RULES = join(REPO_ROOT, 'deploy/prometheus');
const DASHBOARD = join(REPO_ROOT, 'deploy/grafana/dnsward.json');

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

/** Grafana's variables as Prometheus sees them once Grafana has filled them in. */
function expand(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$instance', '.*');
}

describe('Prometheus rules and Grafana dashboard', () => {
  let server: Dnsward;
  let prometheus: Running;
  let api: string;
  let exported: Set<string>;

  before(async () => {
    server = await startDnsward({
      metrics: { listen: '127.0.0.1:0' },
      identity: { defaultGroup: 'strangers' },
    });
    const mport = Number(/"metrics":(\d+)/.exec(server.output())?.[1]);
    const dir = mkdtempSync(join(tmpdir(), 'dnsward-prometheus-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${join(RULES, 'dnsward.rules.yaml')}']`,
        'scrape_configs:',
        '  - job_name: dnsward',
        `    static_configs: [{ targets: ['127.0.0.1:${mport}'] }]`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}/api/v1`;
    prometheus = startProcess('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    const body = await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text();
    exported = new Set(
      [...body.matchAll(/^# TYPE (dnsward_\w+) (\w+)/gm)].flatMap((m) => families(m[1] ?? '', m[2] ?? '')),
    );
  });

  after(async () => {
    await prometheus.stop();
    await server.stop();
  });

  it('promtool check rules and promtool test rules pass', async () => {
    const check = await run('promtool', ['check', 'rules', 'dnsward.rules.yaml'], { cwd: RULES });
    assert.match(check.stdout, /SUCCESS: 9 rules found/);
    const test = await run('promtool', ['test', 'rules', 'dnsward.rules.test.yaml'], { cwd: RULES });
    assert.match(test.stdout, /SUCCESS/);
  });

  it('a real Prometheus scrapes dnsward and reads dnsward_queries_total back', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await dig(server.port, `q${i}.example.org`)).status, 'REFUSED');
    let total = -1;
    await waitFor(
      async () => {
        const result = await query('sum(dnsward_queries_total{decision="deny"})').catch(() => undefined);
        total = Number(result?.[0]?.value[1] ?? -1);
        return total === 5;
      },
      30_000,
      'Prometheus to see the 5 queries',
    );
    assert.equal(total, 5);
  });

  it('every dashboard expression parses in Prometheus and names only metrics dnsward exports', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    assert.ok(exprs.length >= 15);
    for (const expr of exprs) {
      await query(expand(expr)); // throws on a parse error (HTTP 400)
      const names = [...expr.matchAll(/\bdnsward_\w+/g)].map((m) => m[0]);
      assert.ok(names.length > 0, expr);
      for (const name of names) assert.ok(exported.has(name), `${name} in "${expr}" is not exported`);
    }
    const rules = readFileSync(join(RULES, 'dnsward.rules.yaml'), 'utf8');
    for (const [name] of rules.matchAll(/\bdnsward_\w+_(total|seconds|successful|active)\b/g))
      assert.ok(exported.has(name), `${name} in the rules is not exported`);
  });

  /** An instant query through the HTTP API; rejects unless Prometheus says success. */
  async function query(expr: string): Promise<{ value: [number, string] }[]> {
    const response = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: { value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? response.status}`);
    return body.data?.result ?? [];
  }
});

/** The series names of one metric family (histograms add _bucket, _sum and _count). */
function families(name: string, type: string): string[] {
  return type === 'histogram' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
}
