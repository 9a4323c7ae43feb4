// Zone -> upstreams (conditional forwarding, longest zone wins), tried in order until one answers.
import type { HostPort } from '../config/host-port.js';
import type { Query } from '../model/query.js';
import { NameTrie } from '../policy/name-trie.js';
import { Upstream, UpstreamError, type UpstreamTimeouts } from './upstream.js';
import type { UpstreamAnswer } from './upstream-answer.js';

export interface RoutedAnswer {
  readonly answer: UpstreamAnswer;
  readonly upstream: Upstream;
}

export interface ForwardZone {
  readonly zone: string;
  readonly servers: readonly HostPort[];
}

export class UpstreamRouter {
  private readonly zones = new NameTrie<readonly Upstream[]>();
  private readonly fallback: readonly Upstream[];
  /** Failures per upstream label, for metrics. */
  readonly failures = new Map<string, number>();

  constructor(defaults: readonly HostPort[], forward: readonly ForwardZone[], timeouts: UpstreamTimeouts) {
    this.fallback = defaults.map((server) => new Upstream(server, timeouts));
    for (const rule of forward) {
      const upstreams = rule.servers.map((server) => new Upstream(server, timeouts));
      // a zone covers its apex and everything below it
      this.zones.insert(rule.zone, false, upstreams);
      this.zones.insert(rule.zone, true, upstreams);
    }
  }

  upstreamsFor(name: string): readonly Upstream[] {
    return this.zones.lookup(name, () => true) ?? this.fallback;
  }

  /** Rejects with the last UpstreamError when every upstream failed (the caller answers SERVFAIL). */
  async resolve(msg: Buffer, query: Query): Promise<RoutedAnswer> {
    let lastError: unknown = new UpstreamError('-', 'network', 'no upstream configured');
    for (const upstream of this.upstreamsFor(query.name)) {
      try {
        return { answer: await upstream.exchange(msg, query), upstream };
      } catch (error) {
        this.failures.set(upstream.label, (this.failures.get(upstream.label) ?? 0) + 1);
        lastError = error;
      }
    }
    throw lastError;
  }
}
