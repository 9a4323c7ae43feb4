// guard: answer checks that apply to every group, and the bound on per-agent guard state.
import { z } from 'zod';

export const guardSection = z
  .object({
    rebinding: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('strip private/loopback/link-local/ULA addresses from public answers'),
        allowNames: z
          .array(z.string())
          .default([])
          .describe('names ("host.example" or "*.corp.example") whose answers may hold private addresses'),
        clusterDomain: z
          .string()
          .min(1)
          .transform((zone) => zone.toLowerCase().replace(/\.$/, ''))
          .default('cluster.local')
          .describe(
            'the Kubernetes cluster domain (kubelet --cluster-domain); its names, like cluster.local, detection.internalZones and every forward zone, keep their private addresses',
          ),
      })
      .strict()
      .default({}),
    stateEntries: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe('rate-limit buckets and budget records kept (LRU), so floods cannot grow memory'),
  })
  .strict()
  .default({});
