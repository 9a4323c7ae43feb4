// Identity with the pod watch: the pod holding an address -> Agent (group by selector, else by CIDR), memoized
// per pod record; an address no known pod holds falls back to the CIDR rules and is counted as unknown-pod.
import type { Agent } from '../model/agent.js';
import type { PodRecord } from '../identity/pod-map.js';
import type { IdentityTable } from './identity.js';
import type { PodSelectorTable } from './pod-selectors.js';

/** What the identify step needs of the pod watch (the map outlives every compiled policy). */
export interface PodSource {
  lookup(address: string): PodRecord | undefined;
  noteUnknown(address: string): void;
}

export interface PodIdentityOptions {
  /** Label whose value is the agent id; absent (or missing on a pod) = "namespace/pod". */
  readonly agentLabel: string | undefined;
  readonly tierOf: (group: string) => Agent['tier'];
}

export class PodIdentity {
  /** Keyed by record: a modified or replaced pod is a new record, so a stale agent is never returned. */
  private readonly agents = new WeakMap<PodRecord, Agent>();

  constructor(
    private readonly pods: PodSource,
    private readonly selectors: PodSelectorTable,
    private readonly cidrs: IdentityTable,
    private readonly options: PodIdentityOptions,
  ) {}

  identify(address: string): Agent {
    const pod = this.pods.lookup(address);
    if (!pod) {
      this.pods.noteUnknown(address);
      return this.cidrs.identify(address);
    }
    let agent = this.agents.get(pod);
    if (!agent) {
      agent = this.agentOf(pod, address);
      this.agents.set(pod, agent);
    }
    return agent;
  }

  /** A selector match beats a CIDR match; without one the pod's address goes through the CIDR rules. */
  private agentOf(pod: PodRecord, address: string): Agent {
    const label = this.options.agentLabel;
    const id = (label === undefined ? undefined : pod.labels[label]) ?? `${pod.namespace}/${pod.pod}`;
    const identity = {
      namespace: pod.namespace,
      pod: pod.pod,
      podUid: pod.podUid,
      serviceAccount: pod.serviceAccount,
    };
    const group = this.selectors.groupOf(pod);
    if (group !== undefined)
      return Object.freeze({ id, group, tier: this.options.tierOf(group), pod: identity });
    const byCidr = this.cidrs.identify(address);
    return Object.freeze({ id, group: byCidr.group, tier: byCidr.tier, pod: identity });
  }
}
