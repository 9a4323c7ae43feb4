// listen: where the resolver takes queries, and the TCP/UDP socket limits.
import { z } from 'zod';
import { hostPort } from './common.js';

export const listenSection = z
  .object({
    udp: z
      .array(hostPort(53))
      .default(['127.0.0.1:5353'])
      .describe('UDP listen addresses ("addr:port", "[v6]:port")'),
    tcp: z.array(hostPort(53)).default(['127.0.0.1:5353']).describe('TCP listen addresses'),
    udpRecvBufferBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024)
      .describe('SO_RCVBUF for UDP sockets; the kernel default (~208 KiB) overflows under bursts'),
    udpSendBufferBytes: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe(
        "SO_SNDBUF for UDP sockets (null: the kernel default); answers the kernel refuses while it is full wait in the batched engine's queue",
      ),
    udpEngine: z
      .enum(['auto', 'native', 'dgram'])
      .default('auto')
      .describe(
        'UDP socket I/O: native = batched recvmmsg/sendmmsg addon (Linux), dgram = Node, auto = native where it loads',
      ),
    tcpIdleTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('close an idle TCP connection after this'),
    tcpMaxConnections: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe(
        'open TCP connections at once; a new one past this evicts the idlest of the client holding the most',
      ),
    tcpMaxConnectionsPerClient: z
      .number()
      .int()
      .positive()
      .default(16)
      .describe(
        'open TCP connections one client address may hold; its next one evicts its own idlest, so one ' +
          'client cannot shut others (and their TC=1 retries) out of TCP',
      ),
    tcpMaxInflight: z
      .number()
      .int()
      .positive()
      .default(64)
      .describe('pipelined queries per TCP connection in flight'),
    maxUdpPayload: z
      .number()
      .int()
      .min(512)
      .max(65535)
      .default(1232)
      .describe('cap on the UDP answer size a client may advertise (DNS flag day 2020 value)'),
  })
  .strict()
  .default({});
