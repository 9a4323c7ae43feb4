// Upstream faults beyond upstream-faults.test.ts: answers that come after the timeout, SERVFAIL from upstream,
// truncated UDP answers whose TCP retry is refused, hangs or is forged, and malformed answers. Clients get
// SERVFAIL or the right answer, and nothing late, failed or forged is cached.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { dig } from '../helpers/dig.js';
import { startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { answer, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';

const TIMEOUT_MS = 300;
const TCP_TIMEOUT_MS = 600;
const ALLOWLIST =
  'entries:\n  - domain: "*.faults.example"\n    justification: t\n    owner: qa\n    added: 2026-01-01\n';

async function serverFor(upstreams: readonly number[]): Promise<Dnsward> {
  return startDnsward(
    {
      upstreams: {
        default: upstreams.map((port) => `127.0.0.1:${port}`),
        timeoutMs: TIMEOUT_MS,
        tcpTimeoutMs: TCP_TIMEOUT_MS,
      },
      identity: { defaultGroup: 'agents' },
      groups: [{ name: 'agents', tier: 3, allowlists: ['allow.yaml'], wildcardBudget: false }],
      log: { level: 'error' },
    },
    { 'allow.yaml': ALLOWLIST },
  );
}

/** An answer with the TC bit and no records: "ask me over TCP". */
function truncated(query: dnsPacket.Packet): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: query.questions ?? [],
  });
}

/** An empty answer with `rcode` (dns-packet encodes the rcode from the low bits of flags). */
function withRcode(query: dnsPacket.Packet, rcode: number): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
    questions: query.questions ?? [],
  });
}

/** A TCP listener on the fake upstream's port; `onQuery` gets each framed query. */
async function tcpBeside(
  port: number,
  onQuery: (query: dnsPacket.Packet, socket: Socket) => void,
): Promise<{ server: Server; accepted: () => number }> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        onQuery(dnsPacket.decode(pending.subarray(2, 2 + pending.readUInt16BE(0))), socket);
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const close = server.close.bind(server);
  Object.assign(server, {
    close: (callback?: (error?: Error) => void) => {
      for (const socket of sockets) socket.destroy();
      return close(callback);
    },
  });
  return { server, accepted: () => accepted };
}

function framed(message: Buffer): Buffer {
  const out = Buffer.alloc(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}

describe('upstream faults under pressure: late, failing, truncated, malformed', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });
  const track = <T extends FakeUpstream | Dnsward>(thing: T): T => {
    cleanup.push('close' in thing ? thing.close : thing.stop);
    return thing;
  };

  it('an answer after the timeout is not used and not cached: SERVFAIL, and the next query asks again', async () => {
    let calls = 0;
    const upstream = track(
      await startFakeUpstream((query, _raw, from, socket) => {
        calls++;
        // first question: a late answer (after the timeout); second: a prompt one with another address
        if (calls === 1) {
          setTimeout(
            () => socket.send(answer(query, '203.0.113.66'), from.port, from.address),
            TIMEOUT_MS * 2,
          );
        } else socket.send(answer(query, '192.0.2.10'), from.port, from.address);
      }),
    );
    const server = track(await serverFor([upstream.port]));
    assert.equal((await dig(server.port, 'late.faults.example')).status, 'SERVFAIL');
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 2)); // the late answer has arrived by now
    const second = await dig(server.port, 'late.faults.example');
    assert.deepEqual(second.answers, ['late.faults.example. 300 IN A 192.0.2.10']);
    assert.equal(upstream.received.length, 2);
  });

  it('a slow first upstream fails over to the next; its late answer does not replace the cached one', async () => {
    const slow = track(
      await startFakeUpstream((query, _raw, from, socket) => {
        setTimeout(() => socket.send(answer(query, '203.0.113.67'), from.port, from.address), TIMEOUT_MS * 2);
      }),
    );
    const good = track(
      await startFakeUpstream((query, _raw, from, socket) => {
        socket.send(answer(query, '192.0.2.11'), from.port, from.address);
      }),
    );
    const server = track(await serverFor([slow.port, good.port]));
    const first = await dig(server.port, 'slow.faults.example');
    assert.deepEqual(first.answers, ['slow.faults.example. 300 IN A 192.0.2.11']);
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 2));
    const cached = await dig(server.port, 'slow.faults.example');
    assert.equal(cached.status, 'NOERROR');
    assert.match(cached.answers[0] ?? '', /IN A 192\.0\.2\.11$/);
    assert.equal(slow.received.length, 1, 'answered from cache the second time');
    assert.equal(good.received.length, 1);
  });

  it('passes an upstream SERVFAIL through and never caches it', async () => {
    const upstream = track(
      await startFakeUpstream((query, _raw, from, socket) => {
        socket.send(withRcode(query, 2), from.port, from.address);
      }),
    );
    const server = track(await serverFor([upstream.port]));
    assert.equal((await dig(server.port, 'broken.faults.example')).status, 'SERVFAIL');
    assert.equal((await dig(server.port, 'broken.faults.example')).status, 'SERVFAIL');
    assert.equal(upstream.received.length, 2, 'the second query went upstream again');
  });

  it('a truncated UDP answer whose TCP retry is refused: SERVFAIL, or the next upstream', async () => {
    // nothing listens on the fake upstream's port over TCP: the retry gets ECONNREFUSED
    const truncating = track(
      await startFakeUpstream((query, _raw, from, socket) => {
        socket.send(truncated(query), from.port, from.address);
      }),
    );
    const alone = track(await serverFor([truncating.port]));
    const result = await dig(alone.port, 'tc.faults.example');
    assert.equal(result.status, 'SERVFAIL');
    assert.deepEqual(result.answers, []);

    const good = track(
      await startFakeUpstream((query, _raw, from, socket) => {
        socket.send(answer(query, '192.0.2.12'), from.port, from.address);
      }),
    );
    const withBackup = track(await serverFor([truncating.port, good.port]));
    const failover = await dig(withBackup.port, 'tc2.faults.example');
    assert.deepEqual(failover.answers, ['tc2.faults.example. 300 IN A 192.0.2.12']);
  });

  it('a truncated UDP answer whose TCP retry hangs or is forged: SERVFAIL within the TCP timeout, nothing cached', async () => {
    let hang = true;
    const upstream = track(
      await startFakeUpstream((query, _raw, from, socket) => {
        socket.send(truncated(query), from.port, from.address);
      }),
    );
    const tcp = await tcpBeside(upstream.port, (query, socket) => {
      if (hang) return; // accept, read, never answer
      // forged: wrong ID, then the right ID for another question, then the connection closes
      socket.write(framed(answer(query, '203.0.113.68', { id: ((query.id ?? 0) + 1) & 0xffff })));
      socket.write(framed(answer(query, '203.0.113.69', { name: 'other.faults.example' })));
      socket.end();
    });
    cleanup.push(() => new Promise<void>((resolve) => tcp.server.close(() => resolve())));
    const server = track(await serverFor([upstream.port]));
    assert.equal((await dig(server.port, 'hang.faults.example')).status, 'SERVFAIL');
    hang = false;
    const forged = await dig(server.port, 'forged.faults.example');
    assert.equal(forged.status, 'SERVFAIL');
    assert.deepEqual(forged.answers, []);
    assert.equal((await dig(server.port, 'forged.faults.example')).status, 'SERVFAIL');
    assert.equal(tcp.accepted(), 3, 'every query retried over TCP, nothing cached');
  });

  it('a malformed answer (right ID and question, records cut short) is refused: SERVFAIL, server keeps going', async () => {
    const upstream = track(
      await startFakeUpstream((query, _raw, from, socket) => {
        const whole = answer(query, '203.0.113.70');
        socket.send(whole.subarray(0, whole.length - 3), from.port, from.address);
      }),
    );
    const server = track(await serverFor([upstream.port]));
    assert.equal((await dig(server.port, 'cut.faults.example')).status, 'SERVFAIL');
    assert.equal((await dig(server.port, 'cut.faults.example', { tcp: true })).status, 'SERVFAIL');
    assert.equal((await dig(server.port, 'denied.example')).status, 'NXDOMAIN');
    assert.equal(server.process.child.exitCode, null);
  });
});
