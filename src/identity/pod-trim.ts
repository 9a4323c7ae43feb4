// What the pod watch keeps of each pod: its key for the informer and its record, with repeated strings and label
// sets shared. At 10,000 pods this is the pod watch's memory (bench/micro/pod-identity.ts).
import type { KubernetesObject } from '@kubernetes/client-node';
import { Interner, StringInterner } from '../lib/interner.js';
import { podRecord, type CompactPod, type PodObject } from './pod-map.js';

export type Pod = KubernetesObject & PodObject;

export class PodTrimmer {
  /** Namespaces, service accounts, nodes, phases, label keys and values: few distinct values over many pods. */
  private readonly strings = new StringInterner();
  /** Pods of one Deployment carry the same labels: one frozen object for all of them. */
  private readonly labelSets = new Interner<Readonly<Record<string, string>>>();

  trim(pod: Pod): Pod {
    const { metadata, spec, status } = pod;
    const s = this.strings;
    const namespace = s.intern(metadata?.namespace);
    const record = podRecord({
      metadata: {
        name: metadata?.name,
        namespace,
        uid: metadata?.uid,
        labels: this.labels(metadata?.labels),
      },
      spec: { serviceAccountName: s.intern(spec?.serviceAccountName), nodeName: s.intern(spec?.nodeName) },
      status: { phase: status?.phase, podIP: status?.podIP, podIPs: status?.podIPs },
    });
    const compact: CompactPod = {
      metadata: { name: metadata?.name, namespace, resourceVersion: metadata?.resourceVersion },
      record,
    };
    return compact as Pod;
  }

  /** The shared label set; undefined for none (podRecord gives every such pod one empty set). */
  private labels(
    labels: Readonly<Record<string, string>> | undefined,
  ): Readonly<Record<string, string>> | undefined {
    const keys = labels === undefined ? [] : Object.keys(labels).sort();
    if (labels === undefined || keys.length === 0) return undefined;
    return this.labelSets.intern(JSON.stringify(keys.map((key) => [key, labels[key]])), () => {
      const shared: Record<string, string> = {};
      for (const key of keys) shared[this.strings.intern(key)] = this.strings.intern(labels[key] ?? '');
      return Object.freeze(shared);
    });
  }
}
