// TCP under one hostile client, on real sockets: a client cannot hold every connection slot (M3), dropped
// rate-limited queries do not leak the in-flight count and stall the connection (L2).
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { waitFor } from '../helpers/processes.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';

const ZONE = 'fair.example';

function frame(name: string, id: number): Buffer {
  const msg = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: 'A' }],
  });
  const out = Buffer.alloc(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

interface Held {
  readonly socket: Socket;
  closed: boolean;
  answers: number;
}

function open(port: number, source: string): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: source });
    const held: Held = { socket, closed: false, answers: 0 };
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        pending = pending.subarray(2 + pending.readUInt16BE(0));
        held.answers++;
      }
    });
    socket.on('close', () => (held.closed = true));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(held));
    socket.once('error', reject);
  });
}

/** One TCP query from `source`; the rcode name, or an error text. */
async function tcpQuery(port: number, source: string, name: string): Promise<string> {
  let held: Held;
  try {
    held = await open(port, source);
  } catch (error) {
    return String(error);
  }
  try {
    held.socket.write(frame(name, 7));
    await waitFor(() => held.answers > 0 || held.closed, 3000, 'a TCP answer');
    return held.answers > 0 ? 'answered' : 'closed';
  } catch {
    return 'timeout';
  } finally {
    held.socket.destroy();
  }
}

describe('TCP fairness', () => {
  let unbound: Unbound;
  let server: Dnsward;

  before(async () => {
    unbound = await startUnbound(ZONE, [`api.${ZONE}. 60 IN A 192.0.2.80`]);
    server = await startDnsward(
      {
        listen: {
          udp: ['127.0.0.1:0'],
          tcp: ['127.0.0.1:0'],
          tcpMaxConnections: 8,
          tcpMaxConnectionsPerClient: 4,
          tcpIdleTimeoutMs: 30_000,
        },
        upstreams: { default: [`127.0.0.1:${unbound.port}`] },
        identity: { defaultGroup: 'fleet' },
        groups: [
          { name: 'fleet', tier: 3, clients: ['127.0.0.0/8'], allowlists: ['allow.yaml'] },
          {
            name: 'dropper',
            tier: 3,
            clients: ['127.0.0.10/32'],
            allowlists: ['allow.yaml'],
            rateLimit: { qps: 1, burst: 2, action: 'drop' },
          },
        ],
        log: { level: 'error' },
      },
      {
        'allow.yaml': `entries:\n  - { domain: "api.${ZONE}", justification: "test name", owner: qa, added: 2026-01-01 }\n`,
      },
    );
  });

  after(async () => {
    await server.stop();
    await unbound.stop();
  });

  it('M3: one client holding every TCP slot cannot shut other clients out (per-client cap, idle eviction)', async () => {
    const hog: Held[] = [];
    try {
      // twice the total cap from one address, each kept busy with a query now and then
      for (let i = 0; i < 16; i++) {
        const held = await open(server.port, '127.0.0.1');
        held.socket.write(frame(`api.${ZONE}`, i));
        hog.push(held);
      }
      await waitFor(() => hog.filter((h) => !h.closed).length <= 4, 5000, 'the per-client cap');
      for (const source of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'])
        assert.equal(await tcpQuery(server.port, source, `api.${ZONE}`), 'answered', source);
    } finally {
      for (const h of hog) h.socket.destroy();
    }
  });

  it('M3: many addresses filling the total cap: a newcomer evicts the idlest of the biggest holder', async () => {
    const held: Held[] = [];
    try {
      for (const source of ['127.0.0.21', '127.0.0.22'])
        for (let i = 0; i < 4; i++) held.push(await open(server.port, source));
      assert.equal(await tcpQuery(server.port, '127.0.0.23', `api.${ZONE}`), 'answered');
      await waitFor(() => held.some((h) => h.closed), 3000, 'an eviction');
    } finally {
      for (const h of held) h.socket.destroy();
    }
  });

  it('L2: rate-limit drops on TCP do not leak in-flight slots and stall the connection', async () => {
    const held = await open(server.port, '127.0.0.10');
    try {
      const burst = Buffer.concat(Array.from({ length: 70 }, (_, i) => frame(`api.${ZONE}`, i + 1)));
      held.socket.write(burst);
      await waitFor(() => held.answers >= 2, 3000, 'the burst answers');
      // a token comes back after a second; then the same connection must still be read and answered
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const before = held.answers;
      held.socket.write(frame(`api.${ZONE}`, 999));
      await waitFor(() => held.answers > before, 3000, 'an answer on the same connection');
    } finally {
      held.socket.destroy();
    }
  });
});
