// log: the operational logger (pino). The query log is in the store, not here.
import { z } from 'zod';

export const logSection = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .default({});
