// metrics: the Prometheus/health HTTP listener.
import { z } from 'zod';
import { hostPort } from './common.js';

export const metricsSection = z
  .object({
    listen: hostPort(9153)
      .nullable()
      .default(null)
      .describe('HTTP address for /metrics, /healthz, /readyz; null = off'),
  })
  .strict()
  .default({});
