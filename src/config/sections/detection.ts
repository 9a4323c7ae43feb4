// detection: the tunnelling/exfiltration engine behind the event queue.
import { z } from 'zod';

export const detectionSection = z
  .object({
    enabled: z.boolean().default(true),
  })
  .passthrough()
  .default({});
