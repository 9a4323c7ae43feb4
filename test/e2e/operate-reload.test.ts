// Hot reload end to end: the real `dnsward serve` under a steady UDP query loop while its allowlist is
// replaced (as editors do), broken, signalled through `dnsward reload`, and swapped the Kubernetes-ConfigMap
// way. Every query must be answered, the new policy must show after the swap, a broken file must keep the
// old policy and count a failed reload.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { stringify } from 'yaml';
import { dig } from '../helpers/dig.js';
import { metricsPort, REPO_ROOT, spawnDnsward, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { waitFor } from '../helpers/processes.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';
import { parseExposition, value } from '../unit/metrics/exposition.js';

const run = promisify(execFile);
const ZONE = 'reload.example';
const STABLE = `stable.${ZONE}`;
const ADDED = `added.${ZONE}`;

const entry = (domain: string): string =>
  `  - domain: "${domain}"\n    justification: "reload test (QA-7)"\n    owner: qa\n    added: 2026-01-01\n`;
const allowlist = (...domains: string[]): string => `entries:\n${domains.map(entry).join('')}`;

/** Replace a file the way editors and `kubectl cp` do: write a temporary file, rename it over. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp-${process.pid}`, text);
  renameSync(`${path}.tmp-${process.pid}`, path);
}

interface Answer {
  readonly name: string;
  readonly sentAt: number;
  readonly rcode: string;
}

/** A steady query loop over one UDP socket: at most `inflight` outstanding, each with its own timeout. */
function queryLoop(port: number, names: readonly string[], inflight = 8) {
  const socket = createSocket('udp4');
  const pending = new Map<number, { name: string; sentAt: number; timer: NodeJS.Timeout }>();
  const answers: Answer[] = [];
  const failures: string[] = [];
  let sent = 0;
  let stopped = false;
  let nextId = 1;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));

  const send = (): void => {
    while (!stopped && pending.size < inflight) {
      const id = nextId;
      nextId = (nextId % 65535) + 1;
      const name = names[sent % names.length] ?? STABLE;
      sent++;
      const timer = setTimeout(() => {
        pending.delete(id);
        failures.push(`timeout: ${name}`);
        send();
        if (stopped && pending.size === 0) done();
      }, 3000);
      pending.set(id, { name, sentAt: Date.now(), timer });
      socket.send(
        dnsPacket.encode({
          type: 'query',
          id,
          flags: dnsPacket.RECURSION_DESIRED,
          questions: [{ name, type: 'A' }],
        }),
        port,
        '127.0.0.1',
      );
    }
  };
  socket.on('message', (msg) => {
    const packet = dnsPacket.decode(msg);
    const query = pending.get(packet.id ?? -1);
    if (!query) return;
    clearTimeout(query.timer);
    pending.delete(packet.id ?? -1);
    const rcode = (packet as { rcode?: string }).rcode ?? 'NOERROR';
    answers.push({ name: query.name, sentAt: query.sentAt, rcode });
    if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') failures.push(`${rcode}: ${query.name}`);
    // a short pause keeps the rate near a few thousand per second
    setTimeout(send, 1);
    if (stopped && pending.size === 0) done();
  });
  socket.bind(0, '127.0.0.1', send);
  return {
    answers,
    failures,
    sent: () => sent,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      if (pending.size > 0) await finished;
      socket.close();
    },
  };
}

async function scrape(port: number): Promise<ReturnType<typeof parseExposition>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return parseExposition(await res.text());
}

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      cwd: REPO_ROOT,
      timeout: 20_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('hot reload under load', () => {
  let unbound: Unbound;
  let server: Dnsward;
  let mport: number;
  let listPath: string;

  before(async () => {
    unbound = await startUnbound(ZONE, [`${STABLE}. 300 IN A 192.0.2.1`, `${ADDED}. 300 IN A 192.0.2.2`]);
    server = await startDnsward(
      {
        upstreams: { default: [`127.0.0.1:${unbound.port}`], timeoutMs: 1000 },
        identity: { defaultGroup: 'agents' },
        groups: [{ name: 'agents', tier: 3, allowlists: ['agents.yaml'] }],
        metrics: { listen: '127.0.0.1:0' },
      },
      { 'agents.yaml': allowlist(STABLE) },
    );
    mport = metricsPort(server);
    listPath = join(server.dir, 'agents.yaml');
  });

  after(async () => {
    await server.stop();
    await unbound.stop();
  });

  it('answers every query while allowlists change; new policy after the swap; a broken file keeps the old', async () => {
    const load = queryLoop(server.port, [STABLE, ADDED]);
    try {
      await waitFor(() => load.answers.length > 200, 10_000, 'the query loop to run');
      assert.ok(
        load.answers.some((a) => a.name === ADDED && a.rcode === 'NXDOMAIN'),
        'added is denied at first',
      );
      const version0 = (await scrape(mport)).samples.find((s) => s.name === 'dnsward_policy_info')?.labels
        .version;

      // 1. an editor-style replace adds a name: visible without a signal, via the file watch
      const replacedAt = Date.now();
      replaceFile(listPath, allowlist(STABLE, ADDED));
      await waitFor(
        () => load.answers.some((a) => a.name === ADDED && a.sentAt > replacedAt && a.rcode === 'NOERROR'),
        10_000,
        'the added name to be allowed',
      );
      const swappedAt = load.answers.find(
        (a) => a.name === ADDED && a.sentAt > replacedAt && a.rcode === 'NOERROR',
      )?.sentAt as number;
      let m = await scrape(mport);
      assert.equal(value(m, 'dnsward_policy_reloads_total', { result: 'success' }), 1);
      const version1 = m.samples.find((s) => s.name === 'dnsward_policy_info')?.labels.version;
      assert.ok(version1 !== undefined && version1 !== version0, `version ${version0} -> ${version1}`);

      // 2. a broken file (in-place write, entry without justification): logged with file/line, counted, old policy kept
      await new Promise((resolve) => setTimeout(resolve, 300));
      writeFileSync(listPath, `entries:\n  - domain: "${ADDED}"\n    owner: qa\n    added: 2026-01-01\n`);
      await waitFor(
        async () => value(await scrape(mport), 'dnsward_policy_reloads_total', { result: 'failure' }) === 1,
        10_000,
        'the failed reload to be counted',
      );
      const brokenAt = Date.now();
      assert.match(server.output(), /agents\.yaml:2 entries\[0\]\.justification: Required/);
      assert.match(server.output(), /reload failed; keeping the last good policy/);
      m = await scrape(mport);
      assert.equal(value(m, 'dnsward_policy_last_reload_successful'), 0);
      assert.equal(m.samples.find((s) => s.name === 'dnsward_policy_info')?.labels.version, version1);
      await waitFor(
        () => load.answers.filter((a) => a.name === ADDED && a.sentAt > brokenAt).length > 50,
        10_000,
        'queries after the broken write',
      );

      // 3. `dnsward reload`: validates first (and refuses), or signals the server through its pid file
      const pidFile = join(server.dir, 'dnsward.pid');
      const refused = await cli('reload', '--config', server.configPath);
      assert.equal(refused.code, 1, refused.out);
      assert.match(refused.out, /agents\.yaml:2 entries\[0\]\.justification: Required/);
      const signalled = await cli('reload', '--pid-file', pidFile, '--no-check');
      assert.equal(signalled.code, 0, signalled.out);
      await waitFor(
        async () => value(await scrape(mport), 'dnsward_policy_reloads_total', { result: 'failure' }) === 2,
        10_000,
        'the signalled reload to be counted',
      );

      // 4. a fixed file without the name: the name is denied again
      const removedAt = Date.now();
      replaceFile(listPath, allowlist(STABLE));
      await waitFor(
        () => load.answers.some((a) => a.name === ADDED && a.sentAt > removedAt && a.rcode === 'NXDOMAIN'),
        10_000,
        'the removed name to be denied',
      );
      const deniedAt = load.answers.find(
        (a) => a.name === ADDED && a.sentAt > removedAt && a.rcode === 'NXDOMAIN',
      )?.sentAt as number;
      m = await scrape(mport);
      assert.equal(value(m, 'dnsward_policy_reloads_total', { result: 'success' }), 2);
      assert.equal(value(m, 'dnsward_policy_last_reload_successful'), 1);
      await waitFor(
        () => load.answers.filter((a) => a.sentAt > deniedAt).length > 100,
        10_000,
        'more queries',
      );

      await load.stop();
      // zero failed or unanswered queries, through three reloads and two failures
      assert.deepEqual(load.failures, []);
      assert.equal(load.answers.length, load.sent());
      assert.ok(
        load.answers.every((a) => a.name !== STABLE || a.rcode === 'NOERROR'),
        'stable was always allowed',
      );
      // once the swap showed, it held: no query sent after it saw the old policy, until the name was removed
      const flips = load.answers.filter(
        (a) => a.name === ADDED && a.sentAt > swappedAt + 50 && a.sentAt < removedAt && a.rcode !== 'NOERROR',
      );
      assert.deepEqual(flips, []);
      assert.ok(load.answers.length > 1000, `${load.answers.length} queries`);
    } finally {
      await load.stop();
    }
  });

  it('refuses to signal through a stale pid file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsward-pid-'));
    const pidFile = join(dir, 'dnsward.pid');
    writeFileSync(pidFile, '999999999\n');
    const result = await cli('reload', '--pid-file', pidFile, '--no-check');
    assert.equal(result.code, 1);
    assert.match(result.out, /not running|stale pid file/);
    const missing = await cli('reload', '--pid-file', join(dir, 'none.pid'), '--no-check');
    assert.equal(missing.code, 1);
    assert.match(missing.out, /cannot read pid file/);
  });
});

describe('hot reload of a Kubernetes ConfigMap volume', () => {
  let unbound: Unbound;
  let server: Dnsward;

  // kubelet's layout: files are symlinks through `..data`, which is swapped to a new timestamped directory
  function writeVersion(dir: string, version: string, config: object, list: string): void {
    mkdirSync(join(dir, version));
    writeFileSync(join(dir, version, 'dnsward.yaml'), stringify(config));
    writeFileSync(join(dir, version, 'agents.yaml'), list);
  }

  before(async () => {
    unbound = await startUnbound(ZONE, [`${STABLE}. 300 IN A 192.0.2.1`, `${ADDED}. 300 IN A 192.0.2.2`]);
  });

  after(async () => {
    await server.stop();
    await unbound.stop();
  });

  it('reloads when `..data` is swapped to a new version', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dnsward-configmap-'));
    const mount = join(root, 'config');
    mkdirSync(mount);
    const dbPath = join(root, 'data', 'dnsward.db');
    const config = {
      listen: { udp: ['127.0.0.1:0'], tcp: ['127.0.0.1:0'] },
      upstreams: { default: [`127.0.0.1:${unbound.port}`], timeoutMs: 1000 },
      identity: { defaultGroup: 'agents' },
      groups: [{ name: 'agents', tier: 3, allowlists: ['agents.yaml'] }],
      store: { path: dbPath, flushIntervalMs: 20 },
    };
    writeVersion(mount, '..2026_11_21_10_00_00.1', config, allowlist(STABLE));
    symlinkSync('..2026_11_21_10_00_00.1', join(mount, '..data'));
    symlinkSync('..data/dnsward.yaml', join(mount, 'dnsward.yaml'));
    symlinkSync('..data/agents.yaml', join(mount, 'agents.yaml'));
    server = await spawnDnsward(root, join(mount, 'dnsward.yaml'), dbPath);
    assert.equal((await dig(server.port, ADDED)).status, 'NXDOMAIN');

    writeVersion(mount, '..2026_11_21_10_05_00.2', config, allowlist(STABLE, ADDED));
    symlinkSync('..2026_11_21_10_05_00.2', join(mount, '..data_tmp'));
    renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
    rmSync(join(mount, '..2026_11_21_10_00_00.1'), { recursive: true });

    await waitFor(
      async () => (await dig(server.port, ADDED)).status === 'NOERROR',
      10_000,
      'the new version',
    );
    assert.equal((await dig(server.port, STABLE)).status, 'NOERROR');
    assert.match(server.output(), /"trigger":"file-change".*"msg":"policy reloaded"/);
  });
});
