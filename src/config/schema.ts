// The root config schema, composed from one zod schema per section.
import { z } from 'zod';
import { cacheSection } from './sections/cache.js';
import { detectionSection } from './sections/detection.js';
import { egressSection } from './sections/egress.js';
import { groupSchema, identitySection } from './sections/groups.js';
import { guardSection } from './sections/guard.js';
import { listenSection } from './sections/listen.js';
import { logSection } from './sections/log.js';
import { metricsSection } from './sections/metrics.js';
import { storeSection } from './sections/store.js';
import { upstreamsSection } from './sections/upstreams.js';

export const configSchema = z
  .object({
    listen: listenSection,
    upstreams: upstreamsSection,
    cache: cacheSection,
    identity: identitySection,
    groups: z
      .array(groupSchema)
      .default([])
      .superRefine((groups, ctx) => {
        const seen = new Set<string>();
        groups.forEach((group, index) => {
          if (seen.has(group.name))
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: [index, 'name'],
              message: `duplicate group "${group.name}"`,
            });
          seen.add(group.name);
        });
      }),
    guard: guardSection,
    detection: detectionSection,
    store: storeSection,
    egress: egressSection,
    metrics: metricsSection,
    log: logSection,
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
