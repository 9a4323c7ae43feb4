// Zone -> upstreams (conditional forwarding, longest zone wins), tried in order until one answers.
import { isIPv6 } from 'node:net';
import type { HostPort } from '../config/host-port.js';
import type { ForwarderExchange } from '../model/dns-tap.js';
import type { Query } from '../model/query.js';
import { NameTrie } from '../lib/name-trie.js';
import { RCODE } from '../lib/dns-codes.js';
import { UdpSocketPool } from './udp-socket-pool.js';
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

  private readonly pools = { udp4: new UdpSocketPool('udp4'), udp6: new UdpSocketPool('udp6') };

  constructor(
    defaults: readonly HostPort[],
    forward: readonly ForwardZone[],
    timeouts: UpstreamTimeouts,
    tap?: (exchange: ForwarderExchange) => void,
  ) {
    const upstream = (server: HostPort): Upstream =>
      new Upstream(server, timeouts, this.pools[isIPv6(server.host) ? 'udp6' : 'udp4'], tap);
    this.fallback = defaults.map(upstream);
    for (const rule of forward) {
      const upstreams = rule.servers.map(upstream);
      // a zone covers its apex and everything below it
      this.zones.insert(rule.zone, false, upstreams);
      this.zones.insert(rule.zone, true, upstreams);
    }
  }

  upstreamsFor(name: string): readonly Upstream[] {
    return this.zones.lookup(name, () => true) ?? this.fallback;
  }

  /** Answers that arrived for no pending query, over all outgoing sockets. */
  get unmatched(): number {
    return this.pools.udp4.stats.unmatched + this.pools.udp6.stats.unmatched;
  }

  close(): void {
    this.pools.udp4.close();
    this.pools.udp6.close();
  }

  /**
   * The first good answer. SERVFAIL or REFUSED from one upstream moves on to the next; if every upstream said so,
   * the last such answer is passed through. Rejects with the last UpstreamError when none answered at all (the
   * caller answers SERVFAIL).
   */
  async resolve(msg: Buffer, query: Query): Promise<RoutedAnswer> {
    let lastError: unknown;
    let lastRefusal: RoutedAnswer | undefined;
    for (const upstream of this.upstreamsFor(query.name)) {
      try {
        const answer = await upstream.exchange(msg, query);
        if (answer.rcode !== RCODE.SERVFAIL && answer.rcode !== RCODE.REFUSED) return { answer, upstream };
        lastRefusal = { answer, upstream };
      } catch (error) {
        lastError = error;
      }
      this.failures.set(upstream.label, (this.failures.get(upstream.label) ?? 0) + 1);
    }
    if (lastRefusal) return lastRefusal;
    throw lastError instanceof Error
      ? lastError
      : new UpstreamError('-', 'network', 'no upstream configured');
  }
}
