// metrics: the Prometheus/health HTTP listener.
import { z } from 'zod';
import { hostPort } from './common.js';

export const metricsSection = z
  .object({
    listen: hostPort(9153)
      .nullable()
      .default(null)
      .describe(
        'HTTP address for /metrics, /healthz, /readyz, e.g. "127.0.0.1:9153" (keep it on loopback or a ' +
          'private interface: the metrics name groups and allowlist entries); null = off',
      ),
  })
  .strict()
  .default({});
