// The pod map: every running pod's IPs (IPv4 and IPv6) -> the pod, kept by the watch, read per query.
import type { PodIdentity } from '../model/agent.js';

/** What dnsward keeps of a pod: identity plus what selectors match on. Immutable; a change is a new record. */
export interface PodRecord extends PodIdentity {
  readonly node: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ips: readonly string[];
}

/** The fields of a Kubernetes Pod object dnsward reads (a trimmed V1Pod). */
export interface PodObject {
  readonly metadata?: {
    readonly name?: string | undefined;
    readonly namespace?: string | undefined;
    readonly uid?: string | undefined;
    readonly labels?: Readonly<Record<string, string>> | undefined;
    readonly resourceVersion?: string | undefined;
  };
  readonly spec?: {
    readonly serviceAccountName?: string | undefined;
    readonly nodeName?: string | undefined;
  };
  readonly status?: {
    readonly phase?: string | undefined;
    readonly podIP?: string | undefined;
    readonly podIPs?: readonly { readonly ip?: string | undefined }[] | undefined;
  };
}

/**
 * A pod as the watch keeps it in the informer's cache: the fields the informer keys on and the record made once,
 * so the cache and the map share one record a pod (bench/micro/pod-identity.ts measures it).
 */
export interface CompactPod extends PodObject {
  readonly metadata: {
    readonly name: string | undefined;
    readonly namespace: string | undefined;
    readonly resourceVersion: string | undefined;
  };
  readonly record: PodRecord | null;
}

/** Pods that finished hand their IPs back to the node: they must not keep them in the map. */
const FINISHED = new Set(['Succeeded', 'Failed']);
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** The record for a pod that holds addresses now, or null (pending without IPs, finished, malformed). */
export function podRecord(pod: PodObject | CompactPod): PodRecord | null {
  if ('record' in pod) return pod.record;
  const meta = pod.metadata;
  if (meta?.name === undefined || meta.uid === undefined) return null;
  if (FINISHED.has(pod.status?.phase ?? '')) return null;
  const ips = new Set<string>();
  for (const entry of pod.status?.podIPs ?? []) if (entry.ip) ips.add(canonicalIp(entry.ip));
  if (pod.status?.podIP) ips.add(canonicalIp(pod.status.podIP));
  if (ips.size === 0) return null;
  return Object.freeze({
    namespace: meta.namespace ?? 'default',
    pod: meta.name,
    podUid: meta.uid,
    serviceAccount: pod.spec?.serviceAccountName ?? 'default',
    node: pod.spec?.nodeName ?? '',
    labels: meta.labels ?? NO_LABELS,
    ips: Object.freeze([...ips]),
  });
}

/** Lower-case IPv6, IPv4-mapped IPv6 as the IPv4 address: the form both the map and the lookup use. */
export function canonicalIp(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

export class PodMap {
  private readonly byIp = new Map<string, PodRecord>();
  /** By "namespace/name", the informer's key: a pod recreated under its name (StatefulSet) replaces the old one. */
  private readonly byName = new Map<string, PodRecord>();

  get size(): number {
    return this.byName.size;
  }

  /** The pod holding `address` now, if any; one Map lookup for the common (canonical) case. */
  lookup(address: string): PodRecord | undefined {
    return this.byIp.get(address) ?? this.byIp.get(canonicalIp(address));
  }

  /** Added or modified: the pod's record replaces its old one; a pod with no running IPs leaves the map. */
  upsert(pod: PodObject): void {
    const key = podKey(pod);
    if (key === undefined) return;
    const record = podRecord(pod);
    this.remove(pod);
    if (!record) return;
    this.byName.set(key, record);
    // a new pod on an address an old one still claims (its delete not seen yet) takes it: the newest holder wins
    for (const ip of record.ips) this.byIp.set(ip, record);
  }

  /** Deleted (or finished): its addresses leave at once, unless another pod already took them over. */
  remove(pod: PodObject): void {
    const key = podKey(pod);
    const old = key === undefined ? undefined : this.byName.get(key);
    if (!old || key === undefined) return;
    this.byName.delete(key);
    for (const ip of old.ips) if (this.byIp.get(ip) === old) this.byIp.delete(ip);
  }

  /** Rebuilds the map from a full list (relist or resync): pods absent from it are gone. */
  replaceAll(pods: Iterable<PodObject>): void {
    this.byIp.clear();
    this.byName.clear();
    for (const pod of pods) this.upsert(pod);
  }
}

function podKey(pod: PodObject): string | undefined {
  const name = pod.metadata?.name;
  return name === undefined ? undefined : `${pod.metadata?.namespace ?? 'default'}/${name}`;
}
