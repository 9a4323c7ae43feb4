// store: where the query log, alerts and quarantines live (a SQLite file or one PostgreSQL for the fleet), and the
// hand-off queue in front of it.
import { z } from 'zod';
import { dnstapSection } from './dnstap.js';

export const storeSection = z
  .object({
    path: z.string().default('dnsward.db').describe('SQLite file, relative to the working directory'),
    url: z
      .string()
      .regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'expected sqlite:<path> or postgres://…')
      .nullable()
      .default(null)
      .describe(
        'store URL: null or sqlite:<path> = the SQLite file; postgres://… = one PostgreSQL shared by every replica ' +
          '(PG* environment variables and ~/.pgpass fill what it leaves out; sslmode, sslrootcert, sslcert, sslkey pass through)',
      ),
    passwordFile: z
      .string()
      .nullable()
      .default(null)
      .describe(
        'file holding the PostgreSQL password (a mounted Secret); null = URL, PGPASSWORD or ~/.pgpass',
      ),
    instance: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('name of this replica on every query-log row; null = $POD_NAME, else the hostname'),
    queryLog: z.boolean().default(true).describe('store every query event'),
    ndjson: z
      .string()
      .nullable()
      .default(null)
      .describe('also write query events as NDJSON: "stdout" or a file path; null = off'),
    queueSize: z
      .number()
      .int()
      .positive()
      .default(200_000)
      .describe('events held for the writer before drops'),
    batchSize: z
      .number()
      .int()
      .positive()
      .default(500)
      .describe('events per SQLite transaction and per turn of the event loop (bounds answer stalls)'),
    flushIntervalMs: z.number().int().positive().default(100).describe('max delay before a batch is written'),
    retentionDays: z
      .number()
      .int()
      .positive()
      .default(30)
      .describe('query-log rows older than this are deleted'),
    queryLogMaxMiB: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(1024)
      .describe(
        'high-water mark: once the database holds this many MiB, query-log rows are dropped (counted as ' +
          'dropped events) so alerts and quarantines keep room; null = no cap',
      ),
    requiredForReady: z
      .boolean()
      .default(true)
      .describe(
        '/readyz fails while the store cannot write (full disk, I/O error); false = report it, stay ready',
      ),
    pidFile: z
      .union([z.string().min(1), z.literal(false)])
      .nullable()
      .default(null)
      .describe(
        'pid file that `dnsward reload` signals; null = dnsward.pid beside the database, false = none',
      ),
    allowlistHits: z
      .boolean()
      .default(true)
      .describe('keep per-entry hit counts and last-hit times (for `dnsward allowlist stale`)'),
    thread: z
      .enum(['auto', 'always', 'never'])
      .default('auto')
      .describe(
        'query log, NDJSON, detection and allowlist hits on a thread of their own, off the answer thread; ' +
          'auto = when the process may use more than one CPU',
      ),
    dnstap: dnstapSection
      .nullable()
      .default(null)
      .describe(
        'dnstap output (CLIENT_* and FORWARDER_* messages): { unix | tcp | file, identity?, version? }; null = off',
      ),
  })
  .strict()
  .default({});

export type StoreConfig = z.output<typeof storeSection>;
