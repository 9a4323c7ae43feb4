// identity.kubernetes: the pod watch that turns a client address into a pod (namespace, name, labels, account).
import { z } from 'zod';
import { duration } from './common.js';

export const kubernetesSection = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe('watch pods and identify clients by the pod that holds the address'),
    namespaces: z
      .array(z.string().min(1))
      .default([])
      .describe('namespaces to watch (one watch each); empty = every namespace (needs a ClusterRole)'),
    kubeconfig: z
      .string()
      .optional()
      .describe(
        'kubeconfig file; default: the in-cluster service account (token, CA, KUBERNETES_SERVICE_HOST)',
      ),
    agentLabel: z
      .string()
      .min(1)
      .optional()
      .describe(
        'pod label whose value is the agent id (e.g. app.kubernetes.io/instance); default namespace/pod',
      ),
    resyncInterval: duration
      .default('10m')
      .describe('rebuild the address index from the watch cache this often (0 = never)'),
  })
  .strict()
  .default({});

export type KubernetesConfig = z.output<typeof kubernetesSection>;
