// dnstap end to end: the real `dnsward serve` streams into the real fstrm_capture on a unix socket (and into a
// file of its own); the real dnstap-ldns decodes both. A reader killed mid-run: dnsward reconnects, counts drops.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dig } from '../helpers/dig.js';
import { readDnstap, startFstrmCapture, type TapRecord } from '../helpers/dnstap.js';
import { scrapeMetrics, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { waitFor } from '../helpers/processes.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';
import { value } from '../unit/metrics/exposition.js';

const ZONE = 'tap.example';
const entry = (domain: string): string =>
  `  - domain: "${domain}"\n    justification: "dnstap test (QA-16)"\n    owner: qa\n    added: 2026-01-01\n`;

function config(unboundPort: number, dnstap: Record<string, unknown>): Record<string, unknown> {
  return {
    upstreams: { default: [`127.0.0.1:${unboundPort}`], timeoutMs: 1000 },
    identity: { defaultGroup: 'strangers' },
    groups: [{ name: 'agents', tier: 3, clients: ['127.0.0.1/32'], allowlists: ['agents.yaml'] }],
    store: { dnstap: { identity: 'tap-test', ...dnstap } },
    metrics: { listen: '127.0.0.1:0' },
  };
}
const files = { 'agents.yaml': `entries:\n${entry(`api.${ZONE}`)}${entry(`www.${ZONE}`)}` };

/** The queries of every test: forwarded, cached, denied, over TCP, from an unknown client. */
async function traffic(port: number): Promise<void> {
  const ask = async (name: string, type: string, source: string, tcp = false): Promise<string> =>
    (await dig(port, name, { type, tcp, extra: ['-b', source] })).status;
  assert.equal(await ask(`api.${ZONE}`, 'A', '127.0.0.1'), 'NOERROR'); // upstream
  assert.equal(await ask(`api.${ZONE}`, 'A', '127.0.0.1'), 'NOERROR'); // cache
  assert.equal(await ask(`secret.${ZONE}`, 'A', '127.0.0.1'), 'NXDOMAIN'); // denied
  assert.equal(await ask(`www.${ZONE}`, 'A', '127.0.0.1', true), 'NOERROR'); // TCP client, upstream
  assert.equal(await ask(`api.${ZONE}`, 'A', '127.0.0.2'), 'REFUSED'); // strangers: deny-all
}

async function metric(server: Dnsward, name: string): Promise<number> {
  return value(await scrapeMetrics(server), name) ?? -1;
}

/** Waits until dnsward has written `count` dnstap messages. */
async function written(server: Dnsward, count: number): Promise<void> {
  await waitFor(
    async () => (await metric(server, 'dnsward_dnstap_written_total')) === count,
    10_000,
    `${count} dnstap messages written`,
  );
}

/** What each decoded message says, in a stable order. */
function summary(records: readonly TapRecord[]): string[] {
  return records
    .map((r) =>
      [r.type, r.protocol, r.name, r.rcode, r.queryAddress ?? '-', r.responseAddress ?? '-', r.identity].join(
        ' ',
      ),
    )
    .sort();
}

describe('dnstap output', () => {
  let unbound: Unbound;
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-dnstap-'));
  let socketRecords: TapRecord[] = [];

  before(async () => {
    unbound = await startUnbound(ZONE, [
      `api.${ZONE}. 300 IN A 192.0.2.10`,
      `www.${ZONE}. 300 IN A 192.0.2.11`,
    ]);
  });
  after(async () => {
    await unbound.stop();
  });

  it('streams every query to fstrm_capture on a unix socket: CLIENT_* always, FORWARDER_* when forwarded', async () => {
    const socket = join(dir, 'a.sock');
    const capture = await startFstrmCapture(socket, join(dir, 'a.fstrm'));
    const server = await startDnsward(config(unbound.port, { unix: socket }), files);
    try {
      await traffic(server.port);
      await written(server, 14);
    } finally {
      await server.stop(); // STOP, then FINISH from fstrm_capture
      await capture.stop();
    }
    socketRecords = await readDnstap(join(dir, 'a.fstrm'));
    const count = (type: string): number => socketRecords.filter((r) => r.type === type).length;
    assert.deepEqual(
      [
        count('CLIENT_QUERY'),
        count('CLIENT_RESPONSE'),
        count('FORWARDER_QUERY'),
        count('FORWARDER_RESPONSE'),
      ],
      [5, 5, 2, 2],
    );
    const responses = socketRecords.filter((r) => r.type === 'CLIENT_RESPONSE');
    assert.deepEqual(
      responses.map((r) => `${r.queryAddress ?? ''} ${r.protocol} ${r.name} ${r.rcode}`).sort(),
      [
        `127.0.0.1 TCP www.${ZONE} NOERROR`,
        `127.0.0.1 UDP api.${ZONE} NOERROR`,
        `127.0.0.1 UDP api.${ZONE} NOERROR`,
        `127.0.0.1 UDP secret.${ZONE} NXDOMAIN`,
        `127.0.0.2 UDP api.${ZONE} REFUSED`,
      ],
    );
    assert.ok(responses.every((r) => (r.queryPort ?? 0) > 0));
    const forwarded = socketRecords.filter((r) => r.type === 'FORWARDER_RESPONSE');
    assert.deepEqual(forwarded.map((r) => `${r.name} ${r.rcode}`).sort(), [
      `api.${ZONE} NOERROR`,
      `www.${ZONE} NOERROR`,
    ]);
    assert.ok(forwarded.every((r) => r.responseAddress === '127.0.0.1' && r.responsePort === unbound.port));
    assert.ok(socketRecords.every((r) => r.identity === 'tap-test'));
  });

  it('writes the same messages into a Frame Streams file', async () => {
    const file = join(dir, 'direct.fstrm');
    const server = await startDnsward(config(unbound.port, { file }), files);
    try {
      await traffic(server.port);
      await written(server, 14);
    } finally {
      await server.stop();
    }
    assert.deepEqual(summary(await readDnstap(file)), summary(socketRecords));
  });

  it('reconnects to a restarted reader and counts what it could not keep', async () => {
    const socket = join(dir, 'r.sock');
    let capture = await startFstrmCapture(socket, join(dir, 'r1.fstrm'));
    const server = await startDnsward(
      config(unbound.port, { unix: socket, bufferSize: 5, reconnectMaxMs: 200 }),
      files,
    );
    const denied = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++)
        assert.equal(
          (await dig(server.port, `d${i}.${ZONE}`, { extra: ['-b', '127.0.0.2'] })).status,
          'REFUSED',
        );
    };
    try {
      await denied(3); // 6 messages to the first reader
      await written(server, 6);
      await capture.stop();
      await waitFor(
        () => server.output().includes('dnstap: output down'),
        10_000,
        'dnsward to see the reader go',
      );
      await denied(10); // 5 exchanges kept (the buffer), 5 dropped: 10 messages
      assert.equal(await metric(server, 'dnsward_dnstap_dropped_total'), 10);
      capture = await startFstrmCapture(socket, join(dir, 'r2.fstrm'));
      await written(server, 16);
      await denied(3);
      await written(server, 22);
      assert.equal(await metric(server, 'dnsward_dnstap_dropped_total'), 10);
    } finally {
      await server.stop();
      await capture.stop();
    }
    const first = await readDnstap(join(dir, 'r1.fstrm'));
    const second = await readDnstap(join(dir, 'r2.fstrm'));
    assert.equal(first.length, 6);
    assert.equal(second.length, 16);
    // kept through the outage: d0..d4 of the second round, then the third round
    const names = second.filter((r) => r.type === 'CLIENT_QUERY').map((r) => r.name.split('.')[0]);
    assert.deepEqual(names, ['d0', 'd1', 'd2', 'd3', 'd4', 'd0', 'd1', 'd2']);
  });
});
