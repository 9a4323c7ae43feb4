// cache: bounded answer cache; TTLs respected, negative answers cached per RFC 2308.
import { z } from 'zod';

export const cacheSection = z
  .object({
    maxEntries: z.number().int().nonnegative().default(100_000).describe('0 disables the cache'),
    maxTtl: z
      .number()
      .int()
      .positive()
      .default(86_400)
      .describe("cap on a cached answer's lifetime, seconds"),
    negativeMaxTtl: z
      .number()
      .int()
      .nonnegative()
      .default(900)
      .describe('cap for NXDOMAIN/NODATA, seconds (RFC 2308 §5)'),
  })
  .strict()
  .default({});
