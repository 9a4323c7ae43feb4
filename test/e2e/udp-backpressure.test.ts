// The batched UDP engine when the kernel pushes back: in a network namespace of the test's own, a tbf qdisc on
// lo paces every packet and the listen socket's SO_SNDBUF is at its minimum, so sendmmsg meets EAGAIN as a busy
// NIC makes it. Every answer still arrives (held in the engine's queue until the socket is writable), and the
// metrics say how many waited and that none was dropped.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { REPO_ROOT, serveArgs } from '../helpers/dnsward.js';
import { startProcess, waitFor, type Running } from '../helpers/processes.js';
import { parseExposition, total } from '../unit/metrics/exposition.js';

const NS = 'dwbackp';
const QUERIES = 4000;

function inNs(command: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', NS, command, ...args], { encoding: 'utf8', timeout: 90_000 });
}

describe('batched UDP engine under EAGAIN', () => {
  let dir: string;
  let server: Running | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dnsward-backpressure-'));
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' }); // left by a test process that was killed
    } catch {
      // none
    }
  });

  after(async () => {
    await server?.stop();
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      // never created
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every query of a burst; deferred answers counted, none dropped', async (t) => {
    // ~1 MB/s through lo, a queue long enough that the qdisc never drops: only the socket pushes back
    execFileSync('ip', ['netns', 'add', NS]);
    // lo's 64 KiB MTU would let one TCP segment (the metrics page) outgrow the bucket, which tbf then drops
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'mtu', '1500', 'up']);
    inNs(
      'tc',
      'qdisc',
      'add',
      'dev',
      'lo',
      'root',
      'tbf',
      'rate',
      '8mbit',
      'burst',
      '16kb',
      'latency',
      '10s',
    );
    const config = join(dir, 'dnsward.yaml');
    writeFileSync(
      config,
      stringify({
        listen: {
          udp: ['127.0.0.1:53'],
          tcp: ['127.0.0.1:53'],
          udpEngine: 'native',
          udpSendBufferBytes: 4096,
        },
        identity: { defaultGroup: 'agents' },
        groups: [{ name: 'agents', tier: 3, clients: ['127.0.0.0/8'] }],
        store: { path: join(dir, 'dnsward.db') },
        metrics: { listen: '127.0.0.1:9153' },
      }),
    );
    const running = startProcess('ip', ['netns', 'exec', NS, process.execPath, ...serveArgs(config)], {
      ...process.env,
      NODE_OPTIONS: '',
    });
    server = running;
    await waitFor(
      () => {
        if (running.child.exitCode !== null) throw new Error(`dnsward exited:\n${running.output()}`);
        return /dnsward listening/.test(running.output());
      },
      20_000,
      'dnsward to listen',
    );
    assert.match(running.output(), /"udpEngine":"native"/);
    const load = JSON.parse(
      inNs(
        process.execPath,
        '--import',
        'tsx',
        join(REPO_ROOT, 'test/helpers/udp-load-cli.ts'),
        '53',
        String(QUERIES),
        '1000',
      ),
    ) as { sent: number; answered: number; lost: number };
    assert.deepEqual(load, { sent: QUERIES, answered: QUERIES, lost: 0 });
    const metrics = parseExposition(inNs('curl', '-s', 'http://127.0.0.1:9153/metrics'));
    const deferred = total(metrics, 'dnsward_udp_batched_send_deferred_total');
    t.diagnostic(`${deferred} of ${QUERIES} answers waited for a writable socket`);
    assert.ok(deferred > 0, `the kernel pushed back (${deferred} answers waited for a writable socket)`);
    assert.equal(total(metrics, 'dnsward_udp_batched_answers_dropped_total'), 0);
    assert.equal(total(metrics, 'dnsward_udp_batched_send_queue'), 0, 'the queue drained');
    assert.ok(total(metrics, 'dnsward_udp_batched_sent_total') >= QUERIES);
  });
});
