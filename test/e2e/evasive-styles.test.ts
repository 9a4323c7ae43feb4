// Issue 21 live: each evasive exfiltration style, sent with dig from its own agent address at a running
// dnsward, raises a medium alert within its first 10 queries; a tunnel under an allowlisted wildcard is cut
// by the default new-name budget and its alert reports the bytes that left before the cut.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { severityRank, type Severity } from '../../src/model/alert.js';
import { dig } from '../helpers/dig.js';
import { REPO_ROOT, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { evasiveStyles, type StylePlan } from '../../tools/exfil-styles.js';
import { waitFor } from '../helpers/processes.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';

const run = promisify(execFile);
const VENDOR = 'vendorcloud.test';
const WILDCARD_AGENT = '127.0.0.69';
/** Live pacing: the styles' own, but the slow ones at 1-1.5 s so the test stays short (still periodic). */
const LIVE_INTERVAL_MS: Record<string, number> = { 'hex-slow': 1000, beacon: 1500 };

interface AlertRow {
  rule: string;
  severity: Severity;
  agentId: string;
  bytesLeaked: number;
  bytesAttempted: number;
}

interface QueryRow {
  qname: string;
  decision: string;
  reason: string;
}

async function cli<T>(...args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args, '--json'], {
    cwd: REPO_ROOT,
  });
  return JSON.parse(stdout) as T;
}

async function send(server: Dnsward, plan: StylePlan, source: string, count: number): Promise<void> {
  const every = LIVE_INTERVAL_MS[plan.style];
  const start = Date.now();
  for (const [i, q] of plan.queries.slice(0, count).entries()) {
    const at = start + (every === undefined ? q.atMs : i * every);
    const wait = at - Date.now();
    if (wait > 0) await sleep(wait);
    await dig(server.port, q.qname, { type: q.qtype, tcp: q.transport === 'tcp', extra: ['-b', source] });
  }
}

describe('evasive exfiltration styles against a running dnsward', () => {
  let unbound: Unbound;
  let server: Dnsward;
  const styles = evasiveStyles(7, `files.${VENDOR}`);
  const source = (i: number): string =>
    styles[i]?.style === 'wildcard-allowlisted' ? WILDCARD_AGENT : `127.0.0.${String(60 + i)}`;

  before(async () => {
    unbound = await startUnbound(
      VENDOR,
      [`files.${VENDOR}. 60 IN A 192.0.2.80`],
      [`local-zone: "files.${VENDOR}." redirect`],
    );
    const allow = `entries:\n  - { domain: "*.${VENDOR}", justification: "vendor file API", owner: qa, added: 2026-01-01 }\n`;
    server = await startDnsward(
      {
        upstreams: { default: [`127.0.0.1:${unbound.port}`] },
        identity: { defaultGroup: 'agents' },
        groups: [
          { name: 'agents', tier: 3, qtypes: ['A', 'AAAA', 'TXT'] },
          { name: 'vendor', tier: 3, clients: [`${WILDCARD_AGENT}/32`], allowlists: ['vendor.yaml'] },
        ],
      },
      { 'vendor.yaml': allow },
    );
    // every style from its own agent, at once; only the first 10 queries (the wildcard one: all of them)
    await Promise.all(
      styles.map((plan, i) =>
        send(server, plan, source(i), plan.style === 'wildcard-allowlisted' ? plan.queries.length : 10),
      ),
    );
  });

  after(async () => {
    await server.stop();
    await unbound.stop();
  });

  for (const [i, plan] of evasiveStyles(7, `files.${VENDOR}`).entries()) {
    it(`${plan.style}: a medium alert within its first 10 queries`, async () => {
      let alerts: AlertRow[] = [];
      await waitFor(
        async () => {
          alerts = await cli<AlertRow[]>('alerts', 'list', '--db', server.dbPath, '--agent', source(i));
          return alerts.some((a) => severityRank(a.severity) >= 1);
        },
        15_000,
        `a medium alert for ${plan.style}`,
      );
      assert.ok(alerts.every((a) => a.agentId === source(i)));
    });
  }

  it('the wildcard tunnel is cut by the default budget; its alert reports the bytes forwarded first', async () => {
    const rows = await cli<QueryRow[]>(
      'queries',
      '--db',
      server.dbPath,
      '--agent',
      WILDCARD_AGENT,
      '--since',
      '1h',
    );
    const allowed = rows.filter((r) => r.decision === 'allow').length;
    const cut = rows.filter((r) => r.reason === 'budget-exceeded').length;
    const plan = styles.find((p) => p.style === 'wildcard-allowlisted');
    assert.ok(plan);
    assert.equal(allowed + cut, plan.queries.length);
    assert.ok(allowed > 0 && cut > 0, `allowed ${String(allowed)}, cut ${String(cut)}`);
    const alerts = await cli<AlertRow[]>('alerts', 'list', '--db', server.dbPath, '--agent', WILDCARD_AGENT);
    const leaked = Math.max(...alerts.map((a) => a.bytesLeaked));
    assert.ok(leaked > 0 && leaked <= 512, `bytes leaked before the cut: ${String(leaked)}`);
  });
});
