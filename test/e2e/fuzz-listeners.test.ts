// Hostile input at the listeners: seeded random and mutated DNS messages over UDP and TCP, zero-length and
// oversized TCP frames, slowloris connections. The server must stay up, keep answering, never answer bigger
// than the question plus a record or two, and never forward anything malformed (the upstream keeps every byte).
// FUZZ_SEED, FUZZ_UDP_ITERATIONS and FUZZ_TCP_ITERATIONS override the defaults.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  forwardedQueryProblem,
  startCountingUpstream,
  type CountingUpstream,
} from '../helpers/counting-upstream.js';
import { startDnsward, TEST_UDP_ENGINES, type Dnsward } from '../helpers/dnsward.js';
import { Fuzzer } from '../helpers/fuzz-packets.js';
import { waitFor } from '../helpers/processes.js';
import { encodeQuery } from '../helpers/udp-load.js';
import { udpExchange } from '../helpers/udp-query.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const UDP_ITERATIONS = Number(process.env.FUZZ_UDP_ITERATIONS ?? 40_000);
const TCP_ITERATIONS = Number(process.env.FUZZ_TCP_ITERATIONS ?? 4_000);
const ZONE = 'fuzz.test';
const MAX_CONNECTIONS = 16;
const IDLE_MS = 1500;
const MAX_UDP_PAYLOAD = 1232;
/** A reply without answers may add at most an SOA (77 bytes) and our OPT (11) to the question. */
const MAX_GROWTH = 100;

const ALLOWLIST = `entries:
  - domain: "*.${ZONE}"
    justification: fuzz target zone (a counting upstream on loopback)
    owner: qa
    added: 2026-01-01
`;

function frame(message: Buffer): Buffer {
  const out = Buffer.alloc(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}

/** Writes `data` (in the given chunks) on a new connection; collects framed replies until close or quiet. */
function tcpSession(
  port: number,
  chunks: readonly Buffer[],
  quietMs = 300,
): Promise<{ replies: Buffer[]; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const replies: Buffer[] = [];
    let pending = Buffer.alloc(0);
    let closedByServer = false;
    let quiet: NodeJS.Timeout | undefined;
    const socket = connect(port, '127.0.0.1');
    const done = (): void => {
      clearTimeout(quiet);
      clearTimeout(limit);
      socket.destroy();
      resolve({ replies, closedByServer });
    };
    const arm = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(done, quietMs);
    };
    const limit = setTimeout(done, 10_000);
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      arm();
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      arm();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closedByServer = true;
      done();
    });
  });
}

async function answersValidQuery(server: Dnsward, tcp: boolean): Promise<number> {
  const query = encodeQuery(4321, `probe.${ZONE}`);
  const reply = tcp
    ? (await tcpSession(server.port, [frame(query)])).replies[0]
    : await udpExchange(server.port, query);
  assert.ok(reply, `no ${tcp ? 'TCP' : 'UDP'} answer to a valid query`);
  assert.equal(reply.readUInt16BE(0), 4321);
  return reply.readUInt16BE(2) & 0xf;
}

function checkReply(reply: Buffer, sizesById: Map<number, number>, transport: string): void {
  assert.ok(reply.length >= 12, `${transport} reply shorter than a header`);
  assert.ok(reply.readUInt16BE(2) & 0x8000, `${transport} reply without QR`);
  if (transport === 'udp') assert.ok(reply.length <= MAX_UDP_PAYLOAD, `UDP reply of ${reply.length} bytes`);
  const requestBytes = sizesById.get(reply.readUInt16BE(0));
  assert.ok(requestBytes !== undefined, `${transport} reply with an ID we did not send`);
  // answers with records are the upstream's own (their size is its business); everything dnsward makes up is small
  if (reply.readUInt16BE(6) > 0) return;
  assert.ok(
    reply.length <= requestBytes + MAX_GROWTH,
    `${transport} reply of ${reply.length} bytes to a ${requestBytes}-byte message: ${reply.toString('hex')}`,
  );
}

for (const engine of TEST_UDP_ENGINES) {
  describe(`hostile input at the listeners (seed ${SEED}, UDP engine ${engine})`, () => {
    let upstream: CountingUpstream;
    let server: Dnsward;

    before(async () => {
      upstream = await startCountingUpstream();
      server = await startDnsward(
        {
          listen: {
            udp: ['127.0.0.1:0'],
            tcp: ['127.0.0.1:0'],
            tcpMaxConnections: MAX_CONNECTIONS,
            tcpIdleTimeoutMs: IDLE_MS,
            maxUdpPayload: MAX_UDP_PAYLOAD,
          },
          upstreams: { default: [`127.0.0.1:${upstream.port}`], timeoutMs: 500 },
          identity: { defaultGroup: 'fleet' },
          groups: [
            {
              name: 'fleet',
              tier: 4,
              clients: ['127.0.0.0/8'],
              allowlists: ['fuzz.yaml'],
              wildcardBudget: false,
              qtypes: ['A', 'AAAA', 'TXT', 'MX', 'CNAME', 'SRV', 'HTTPS', 'NULL'],
            },
          ],
          log: { level: 'error' },
        },
        { 'fuzz.yaml': ALLOWLIST },
        { udpEngine: engine },
      );
    });

    after(async () => {
      await server.stop();
      await upstream.close();
    });

    it(`UDP: ${UDP_ITERATIONS} random, mutated and malformed datagrams`, async (t) => {
      const fuzzer = new Fuzzer(SEED, ZONE);
      const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      const kinds = new Map<string, number>();
      let replies = 0;
      // late replies (forwarded queries) may arrive during a later batch: IDs are unique over the run
      const sizesById = new Map<number, number>();
      const started = performance.now();
      try {
        for (let sent = 0; sent < UDP_ITERATIONS;) {
          const batch: Buffer[] = [];
          for (let i = 0; i < 400 && sent < UDP_ITERATIONS; i++, sent++) {
            const { kind, packet } = fuzzer.next(sent & 0xffff);
            const family = kind.split(':')[0] ?? kind;
            kinds.set(family, (kinds.get(family) ?? 0) + 1);
            batch.push(packet);
            if (packet.length >= 2) {
              const id = packet.readUInt16BE(0);
              sizesById.set(id, Math.max(sizesById.get(id) ?? 0, packet.length));
            }
          }
          const got: Buffer[] = [];
          await new Promise<void>((resolve) => {
            let quiet: NodeJS.Timeout | undefined;
            const arm = (): void => {
              clearTimeout(quiet);
              quiet = setTimeout(finish, 15);
            };
            const finish = (): void => {
              clearTimeout(quiet);
              clearTimeout(limit);
              socket.off('message', onMessage);
              resolve();
            };
            const onMessage = (msg: Buffer): void => {
              got.push(msg);
              arm();
            };
            const limit = setTimeout(finish, 1500);
            socket.on('message', onMessage);
            for (const packet of batch) socket.send(packet, server.port, '127.0.0.1');
            arm();
          });
          for (const reply of got) checkReply(reply, sizesById, 'udp');
          replies += got.length;
          if (sent % 4000 === 0 || sent === UDP_ITERATIONS) {
            assert.equal(server.process.child.exitCode, null, `server exited:\n${server.output()}`);
            assert.equal(await answersValidQuery(server, false), 0);
          }
        }
      } finally {
        socket.close();
      }
      const seconds = (performance.now() - started) / 1000;
      t.diagnostic(
        `${UDP_ITERATIONS} datagrams in ${seconds.toFixed(1)} s = ${Math.round(UDP_ITERATIONS / seconds)}/s, ${replies} replies; ` +
          [...kinds.entries()].map(([k, n]) => `${k} ${n}`).join(', '),
      );
    });

    it(`TCP: ${TCP_ITERATIONS} hostile frames, pipelined and split at random, zero-length and oversized frames`, async (t) => {
      const fuzzer = new Fuzzer(SEED + 1, ZONE);
      let replies = 0;
      let sessions = 0;
      let closedByServer = 0;
      const sizesById = new Map<number, number>();
      /** One connection's worth: 40 hostile frames, maybe a bad ending, cut into random chunks. */
      const session = (first: number, count: number): Buffer[] => {
        const frames: Buffer[] = [];
        for (let i = first; i < first + count; i++) {
          const { packet } = fuzzer.next(i & 0xffff);
          if (packet.length >= 2) {
            const id = packet.readUInt16BE(0);
            sizesById.set(id, Math.max(sizesById.get(id) ?? 0, packet.length));
          }
          frames.push(frame(packet));
        }
        const ending = fuzzer.int(6);
        // a session may end in a zero-length frame, a frame longer than what follows, or raw garbage
        if (ending === 0) {
          const late = encodeQuery(7, `after-zero.${ZONE}`);
          sizesById.set(7, Math.max(sizesById.get(7) ?? 0, late.length));
          frames.push(Buffer.from([0, 0]), frame(late));
        }
        if (ending === 1) frames.push(Buffer.from([0xff, 0xff]), fuzzer.bytes(100));
        if (ending === 2) frames.push(fuzzer.bytes(1 + fuzzer.int(300)));
        const stream = Buffer.concat(frames);
        const chunks: Buffer[] = [];
        for (let offset = 0; offset < stream.length;) {
          const size = fuzzer.int(3) === 0 ? 1 + fuzzer.int(8) : 1 + fuzzer.int(2000);
          chunks.push(stream.subarray(offset, offset + size));
          offset += size;
        }
        return chunks;
      };
      const started = performance.now();
      const PER_SESSION = 40;
      const PARALLEL = MAX_CONNECTIONS / 2;
      for (let sent = 0; sent < TCP_ITERATIONS;) {
        const round: Promise<{ replies: Buffer[]; closedByServer: boolean }>[] = [];
        for (let i = 0; i < PARALLEL && sent < TCP_ITERATIONS; i++) {
          const count = Math.min(PER_SESSION, TCP_ITERATIONS - sent);
          round.push(tcpSession(server.port, session(sent, count), 100));
          sent += count;
          sessions++;
        }
        for (const result of await Promise.all(round)) {
          for (const reply of result.replies) checkReply(reply, sizesById, 'tcp');
          replies += result.replies.length;
          if (result.closedByServer) closedByServer++;
        }
        assert.equal(server.process.child.exitCode, null, `server exited:\n${server.output()}`);
      }
      assert.equal(await answersValidQuery(server, true), 0);
      assert.equal(await answersValidQuery(server, false), 0);
      const seconds = (performance.now() - started) / 1000;
      t.diagnostic(
        `${TCP_ITERATIONS} frames in ${sessions} connections in ${seconds.toFixed(1)} s = ${Math.round(TCP_ITERATIONS / seconds)}/s, ` +
          `${replies} replies, ${closedByServer} connections closed by the server`,
      );
    });

    it('slowloris: trickling connections cannot take more than the cap, idle ones are closed, others get answers', async (t) => {
      const connections: { socket: Socket; closed: boolean; trickle: boolean }[] = [];
      const timers: NodeJS.Timeout[] = [];
      try {
        const trickleStart = performance.now();
        // 2x the cap, each announcing a 300-byte frame and sending it one byte at a time
        for (let i = 0; i < MAX_CONNECTIONS * 2; i++) {
          const socket = connect(server.port, '127.0.0.1');
          const entry = { socket, closed: false, trickle: true };
          socket.on('error', () => undefined);
          socket.on('close', () => (entry.closed = true));
          socket.on('connect', () => socket.write(Buffer.from([0x01])));
          connections.push(entry);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        timers.push(
          setInterval(() => {
            for (const c of connections) if (c.trickle && !c.closed) c.socket.write(Buffer.from([0x2c]));
          }, IDLE_MS / 4),
        );
        // the connections over the cap are closed by the server
        await waitFor(
          () => connections.filter((c) => c.closed).length >= MAX_CONNECTIONS,
          10_000,
          'the cap to close the extra connections',
        );
        // UDP clients are served all along
        assert.equal(await answersValidQuery(server, false), 0);
        // connections that go quiet are closed after the idle timeout
        const quiet = connections.filter((c) => !c.closed).slice(0, MAX_CONNECTIONS / 2);
        for (const c of quiet) c.trickle = false;
        await waitFor(() => quiet.every((c) => c.closed), IDLE_MS * 6, 'idle connections to be closed');
        // with room under the cap again, a new TCP client is answered
        assert.equal(await answersValidQuery(server, true), 0);
        t.diagnostic(
          `${connections.filter((c) => c.trickle && !c.closed).length} trickling connections still open after ` +
            `${Math.round(performance.now() - trickleStart)} ms with a ${IDLE_MS} ms idle timeout`,
        );
      } finally {
        for (const timer of timers) clearInterval(timer);
        for (const c of connections) c.socket.destroy();
      }
      assert.equal(server.process.child.exitCode, null);
    });

    it('closes a connection that trickles one frame for longer than the idle timeout', async () => {
      const socket = connect(server.port, '127.0.0.1');
      let closed = false;
      socket.on('error', () => undefined);
      socket.on('close', () => (closed = true));
      socket.on('connect', () => socket.write(Buffer.from([0x01])));
      const trickle = setInterval(() => {
        if (!closed) socket.write(Buffer.from([0x2c]));
      }, IDLE_MS / 4);
      try {
        await waitFor(
          () => closed,
          IDLE_MS * 4,
          'the server to close a connection that never completes a frame',
        );
      } finally {
        clearInterval(trickle);
        socket.destroy();
      }
    });

    it('does not buffer answers without bound for a TCP client that never reads', async (t) => {
      const pid = server.process.child.pid ?? 0;
      const rssMiB = (): number =>
        Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
      const query = frame(encodeQuery(1, `${'x'.repeat(60)}.denied.test`));
      const chunk = Buffer.concat(Array.from({ length: 1000 }, () => query));
      const before = rssMiB();
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.pause(); // never reads a reply
      let written = 0;
      const deadline = Date.now() + 8000;
      await new Promise<void>((resolve) => {
        const pump = (): void => {
          while (written < 400_000 && Date.now() < deadline) {
            written += 1000;
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
          resolve();
        };
        socket.on('connect', pump);
        setTimeout(resolve, 9000).unref();
      });
      const grown = rssMiB() - before;
      socket.destroy();
      t.diagnostic(`${written} queries written without reading; server RSS grew ${grown.toFixed(0)} MiB`);
      assert.ok(grown < 64, `server RSS grew ${grown.toFixed(0)} MiB`);
    });

    it('forwarded nothing malformed: every datagram the upstream got is one well-formed question under the zone', () => {
      const problems = upstream.received
        .map((raw) => ({ problem: forwardedQueryProblem(raw, ZONE), hex: raw.toString('hex') }))
        .filter((p) => p.problem !== null);
      assert.deepEqual(problems.slice(0, 5), []);
      assert.ok(upstream.received.length > 0, 'some fuzzed queries were valid, allowed and forwarded');
    });
  });
}
