// metrics: the Prometheus/health HTTP listener.
import { z } from 'zod';
import { hostPort } from './common.js';

/** A bare port ("9153" or 9153) means loopback, as for `serve --metrics`: metrics are never exposed by accident. */
const loopbackPort = (value: unknown): unknown =>
  typeof value === 'number' || (typeof value === 'string' && /^:?\d{1,5}$/.test(value))
    ? `127.0.0.1:${String(value).replace(/^:/, '')}`
    : value;

export const metricsSection = z
  .object({
    listen: z
      .preprocess(loopbackPort, hostPort(9153))
      .nullable()
      .default(null)
      .describe(
        'HTTP address for /metrics, /healthz, /readyz, e.g. "127.0.0.1:9153"; a bare port is loopback (keep it on loopback or a ' +
          'private interface: the metrics name groups and allowlist entries); null = off',
      ),
  })
  .strict()
  .default({});
