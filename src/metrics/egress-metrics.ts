// Egress series: answer-set updates (nft transactions, elements, failures) and the connection log.
import { Counter, type Registry } from 'prom-client';
import type { ConnectionEvent } from '../model/connection-event.js';

/** What the answer-set writer counts; read at scrape time. */
export interface AnswerSetStats {
  readonly transactions: number;
  readonly elements: number;
  readonly failures: number;
  readonly dropped: number;
}

export class EgressMetrics {
  private readonly connections: Counter<'decision' | 'proto'>;
  private readonly bytes: Counter<'direction'>;
  private log: { readonly dropped: number } | undefined;

  constructor(registry: Registry, sets: AnswerSetStats | undefined) {
    this.connections = new Counter({
      name: 'dnsward_egress_connections_total',
      help: 'Agent connections logged, by decision (allowed|dropped) and protocol',
      labelNames: ['decision', 'proto'],
      registers: [registry],
    });
    this.bytes = new Counter({
      name: 'dnsward_egress_bytes_total',
      help: 'Bytes of logged agent connections, by direction (out|in)',
      labelNames: ['direction'],
      registers: [registry],
    });
    const log = (): number => this.log?.dropped ?? 0;
    new Counter({
      name: 'dnsward_egress_connections_dropped_total',
      help: 'Connections not logged because the connection log fell behind (its buffer was full)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(log());
      },
    });
    if (sets === undefined) return;
    const from = (name: string, help: string, value: () => number): void => {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    };
    from(
      'dnsward_egress_set_transactions_total',
      'nft -f transactions run for the answer sets',
      () => sets.transactions,
    );
    from('dnsward_egress_set_elements_total', 'Answer-set elements added or refreshed', () => sets.elements);
    from(
      'dnsward_egress_set_failures_total',
      'nft transactions that failed (their elements are lost)',
      () => sets.failures,
    );
    from(
      'dnsward_egress_set_dropped_total',
      'Answer-set elements dropped while nft was busy (maxPending)',
      () => sets.dropped,
    );
  }

  /** The connection log whose losses are exposed. */
  attachLog(log: { readonly dropped: number }): void {
    this.log = log;
  }

  /** Counts a batch of logged connections. */
  connectionsLogged(events: readonly ConnectionEvent[]): void {
    for (const e of events) {
      this.connections.inc({ decision: e.decision, proto: PROTOS.has(e.proto) ? e.proto : 'other' });
      this.bytes.inc({ direction: 'out' }, e.bytesOut);
      this.bytes.inc({ direction: 'in' }, e.bytesIn);
    }
  }
}

const PROTOS = new Set(['tcp', 'udp', 'icmp', 'icmpv6', 'sctp']);
