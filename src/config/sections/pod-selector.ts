// groups[].pods: a Kubernetes label selector (plus namespaces) that claims pods for a group.
import { z } from 'zod';

const labelKey = z
  .string()
  .regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/, 'expected a label key');

const expression = z
  .object({
    key: labelKey,
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
    values: z.array(z.string()).default([]),
  })
  .strict()
  .superRefine((e, ctx) => {
    const needsValues = e.operator === 'In' || e.operator === 'NotIn';
    if (needsValues !== e.values.length > 0)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['values'],
        message: needsValues ? `${e.operator} needs at least one value` : `${e.operator} takes no values`,
      });
  });

export const podSelectorSchema = z
  .object({
    namespaces: z.array(z.string().min(1)).default([]).describe('pods in these namespaces only; empty = any'),
    matchLabels: z
      .record(labelKey, z.string())
      .default({})
      .describe('labels the pod must carry, with these values'),
    matchExpressions: z.array(expression).default([]).describe('Kubernetes set-based requirements'),
  })
  .strict();

export type PodSelectorConfig = z.output<typeof podSelectorSchema>;
