// store.dnstap: the dnstap stream (Frame Streams over a unix socket, TCP, or into a file).
import { z } from 'zod';
import { hostPort } from './common.js';

export const dnstapSection = z
  .object({
    unix: z
      .string()
      .min(1)
      .optional()
      .describe('unix socket of a dnstap reader (fstrm_capture -u, Vector, dnscollector)'),
    tcp: hostPort(6000).optional().describe('"host:port" of a dnstap reader over TCP'),
    file: z.string().min(1).optional().describe('write a Frame Streams file (dnstap-ldns -r reads it)'),
    identity: z
      .string()
      .min(1)
      .optional()
      .describe("dnstap identity of this server; default the host's name"),
    version: z.string().min(1).default('dnsward 0.1.0').describe('dnstap version string'),
    bufferSize: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('exchanges held while the reader is slow or away; past it they are dropped and counted'),
    reconnectMaxMs: z
      .number()
      .int()
      .positive()
      .default(5000)
      .describe('longest wait between reconnect attempts (the wait doubles from 100 ms up to this)'),
  })
  .strict()
  .refine((d) => [d.unix, d.tcp, d.file].filter((t) => t !== undefined).length === 1, {
    message: 'name exactly one of unix, tcp or file',
  });

export type DnstapConfig = z.output<typeof dnstapSection>;
