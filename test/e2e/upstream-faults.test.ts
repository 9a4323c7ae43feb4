// Upstream faults: silence, spoofed answers (wrong source port, wrong ID, wrong question) are never believed.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { answer, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { dig } from '../helpers/dig.js';
import { freePort } from '../helpers/ports.js';
import { startDnsward, type Dnsward } from '../helpers/dnsward.js';

const ALLOW_ALL_TEST =
  'entries:\n  - domain: "*.faults.example"\n    justification: t\n    owner: qa\n    added: 2026-01-01\n';

async function serverFor(upstreams: string[], timeoutMs = 400): Promise<Dnsward> {
  return startDnsward(
    {
      upstreams: { default: upstreams, timeoutMs },
      identity: { defaultGroup: 'agents' },
      groups: [{ name: 'agents', tier: 3, allowlists: ['allow.yaml'] }],
    },
    { 'allow.yaml': ALLOW_ALL_TEST },
  );
}

describe('upstream faults', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const step of cleanup) await step();
  });

  it('answers SERVFAIL when the upstream is silent, within the timeout', async () => {
    const silentPort = await freePort(); // nothing listens there
    const server = await serverFor([`127.0.0.1:${silentPort}`]);
    cleanup.push(server.stop);
    const result = await dig(server.port, 'a.faults.example');
    assert.equal(result.status, 'SERVFAIL');
  });

  it('fails over to the next upstream when the first is silent', async () => {
    const silentPort = await freePort();
    const good = await startFakeUpstream((query, _raw, from, socket) => {
      socket.send(answer(query, '192.0.2.7'), from.port, from.address);
    });
    cleanup.push(good.close);
    const server = await serverFor([`127.0.0.1:${silentPort}`, `127.0.0.1:${good.port}`]);
    cleanup.push(server.stop);
    const result = await dig(server.port, 'b.faults.example');
    assert.equal(result.status, 'NOERROR');
    assert.deepEqual(result.answers, ['b.faults.example. 300 IN A 192.0.2.7']);
  });

  it('moves on to the next upstream when one answers SERVFAIL', async () => {
    const failing = await startFakeUpstream((query, _raw, from, socket) => {
      const reply = answer(query, '203.0.113.4');
      reply.writeUInt16BE((reply.readUInt16BE(2) & 0xfff0) | 2, 2); // SERVFAIL
      socket.send(reply, from.port, from.address);
    });
    cleanup.push(failing.close);
    const good = await startFakeUpstream((query, _raw, from, socket) => {
      socket.send(answer(query, '192.0.2.17'), from.port, from.address);
    });
    cleanup.push(good.close);
    const server = await serverFor([`127.0.0.1:${failing.port}`, `127.0.0.1:${good.port}`]);
    cleanup.push(server.stop);
    const result = await dig(server.port, 'sf.faults.example');
    assert.deepEqual(result.answers, ['sf.faults.example. 300 IN A 192.0.2.17']);
    assert.equal(failing.received.length, 1);
  });

  it('ignores answers from the wrong port, with the wrong ID or for the wrong question', async () => {
    const upstream: FakeUpstream = await startFakeUpstream((query, _raw, from, socket) => {
      const id = query.id ?? 0;
      // three forgeries first, then the real answer
      upstream.stranger.send(answer(query, '203.0.113.1'), from.port, from.address);
      socket.send(answer(query, '203.0.113.2', { id: (id + 1) & 0xffff }), from.port, from.address);
      socket.send(answer(query, '203.0.113.3', { name: 'evil.faults.example' }), from.port, from.address);
      setTimeout(() => socket.send(answer(query, '192.0.2.8'), from.port, from.address), 50);
    });
    cleanup.push(upstream.close);
    const server = await serverFor([`127.0.0.1:${upstream.port}`], 1000);
    cleanup.push(server.stop);
    const result = await dig(server.port, 'c.faults.example');
    assert.deepEqual(result.answers, ['c.faults.example. 300 IN A 192.0.2.8']);
    // each upstream query carried a fresh random ID and only our question, without client options
    assert.equal(upstream.received.length, 1);
    assert.equal(upstream.received[0]?.questions?.[0]?.name, 'c.faults.example');
  });

  it('does not forward EDNS Client Subnet (checked at the upstream)', async () => {
    const upstream = await startFakeUpstream((query, _raw, from, socket) => {
      socket.send(answer(query, '192.0.2.9'), from.port, from.address);
    });
    cleanup.push(upstream.close);
    const server = await serverFor([`127.0.0.1:${upstream.port}`]);
    cleanup.push(server.stop);
    const result = await dig(server.port, 'ecs.faults.example', { extra: ['+subnet=198.51.100.0/24'] });
    assert.equal(result.status, 'NOERROR');
    const opt = upstream.received[0]?.additionals?.find((record) => record.type === 'OPT');
    assert.ok(opt?.type === 'OPT', 'upstream query has our OPT record');
    assert.deepEqual(opt.options, []);
  });

  it('never caches a forged answer: only forgeries -> SERVFAIL, and the next query asks again', async () => {
    const upstream = await startFakeUpstream((query, _raw, from, socket) => {
      socket.send(
        answer(query, '203.0.113.9', { id: ((query.id ?? 0) + 7) & 0xffff }),
        from.port,
        from.address,
      );
    });
    cleanup.push(upstream.close);
    const server = await serverFor([`127.0.0.1:${upstream.port}`], 300);
    cleanup.push(server.stop);
    assert.equal((await dig(server.port, 'd.faults.example')).status, 'SERVFAIL');
    assert.equal((await dig(server.port, 'd.faults.example')).status, 'SERVFAIL');
    assert.equal(upstream.received.length, 2);
    const ids = upstream.received.map((q) => q.id);
    assert.notEqual(ids[0], ids[1]);
  });
});
