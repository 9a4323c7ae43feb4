// The connection log: conntrack (allowed connections, logged when the kernel forgets them, with their bytes) and
// the drop sets (dropped ones) -> ConnectionEvents with agent and qname -> store, NDJSON, metrics, detection.
import { parsePrefix, addressToBigInt, mask, type Prefix } from '../lib/cidr.js';
import type { ConnectionDetection } from '../detect/connection-engine.js';
import type { EgressMetrics } from '../metrics/egress-metrics.js';
import type { Logger } from '../log/logger.js';
import type { Agent } from '../model/agent.js';
import type { AlertState } from '../model/alert.js';
import type { ConnectionEvent } from '../model/connection-event.js';
import { Lru } from '../lib/lru.js';
import type { ConnectionRepository } from '../store/connection-repository.js';
import type { NdjsonSink } from '../store/ndjson-sink.js';
import { parseConntrackLine, type ConntrackRecord } from './conntrack-line.js';
import type { DroppedFlow } from './drop-set.js';
import type { OpenedBy } from './opened-by.js';

const FLUSH_MS = 200;
const MAX_BUFFERED = 10_000;
const MAX_OPEN_FLOWS = 200_000;

export interface ConnectionLogDeps {
  readonly identify: (address: string) => Agent;
  readonly opened: OpenedBy;
  /** Agent source networks: other hosts' connections are not logged. */
  readonly sources: readonly string[];
  /** Where dnsward answers (host "0.0.0.0" or "::" = any local address): the agents' DNS to it is not logged. */
  readonly dnsward: readonly { readonly host: string; readonly port: number }[];
  /** Addresses of this host (for dnsward listening on a wildcard address). */
  readonly localAddresses: readonly string[];
  readonly repo: ConnectionRepository | undefined;
  readonly ndjson: Pick<NdjsonSink, 'writeConnections'> | undefined;
  readonly metrics: EgressMetrics | undefined;
  readonly detection: ConnectionDetection | undefined;
  readonly onAlerts: (alerts: readonly AlertState[]) => void;
  readonly log: Logger;
  readonly now?: () => number;
}

export class ConnectionLog {
  private buffer: ConnectionEvent[] = [];
  private readonly started = new Lru<string, number>(MAX_OPEN_FLOWS);
  private readonly sources: readonly Prefix[];
  private readonly dnsward: ReadonlySet<string>;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  /** Connections not kept because the buffer was full (the store too slow). */
  dropped = 0;
  logged = 0;

  constructor(private readonly deps: ConnectionLogDeps) {
    this.now = deps.now ?? Date.now;
    this.sources = deps.sources.map(parsePrefix).filter((p): p is Prefix => p !== null);
    const endpoints = new Set<string>();
    for (const { host, port } of deps.dnsward) {
      const wildcard = host === '0.0.0.0' || host === '::';
      for (const address of wildcard ? deps.localAddresses : [host]) endpoints.add(`${address}|${port}`);
    }
    this.dnsward = endpoints;
    this.timer = setInterval(() => this.flush(), FLUSH_MS).unref();
  }

  /** A `conntrack -E -o timestamp,id` line. */
  onConntrackLine = (line: string): void => {
    const record = parseConntrackLine(line);
    if (record === null || !this.isAgentFlow(record.orig.src, record.reply.src, record.reply.sport)) return;
    if (record.kind === 'new') {
      this.started.set(record.id, record.ts);
      return;
    }
    const start = this.started.peek(record.id);
    this.started.delete(record.id);
    const ts = start ?? record.ts - (record.deltaS ?? 0) * 1000;
    this.push(this.event(record, ts));
  };

  /** A flow seen in the ruleset's drop set. */
  onDropped = (flow: DroppedFlow): void => {
    if (!this.isAgentFlow(flow.src, flow.dst, flow.dport)) return;
    const agent = this.deps.identify(flow.src);
    this.push({
      ts: this.now(),
      agentId: agent.id,
      group: agent.group,
      srcIp: flow.src,
      proto: flow.proto,
      srcPort: flow.sport,
      dst: flow.dst,
      dstPort: flow.dport,
      decision: 'dropped',
      bytesOut: flow.bytes,
      bytesIn: 0,
      durationMs: 0,
      qname: this.deps.opened.nameAt(flow.src, flow.dst, this.now()),
    });
  };

  /** Writes what is buffered: store, NDJSON, metrics, then detection (alerts to the hook). */
  flush(): void {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.logged += batch.length;
    try {
      this.deps.repo?.saveBatch(batch);
    } catch (error) {
      this.deps.log.error({ err: error, lost: batch.length }, 'egress: connections not stored');
    }
    this.deps.ndjson?.writeConnections(batch);
    this.deps.metrics?.connectionsLogged(batch);
    try {
      const alerts = this.deps.detection?.process(batch) ?? [];
      if (alerts.length > 0) this.deps.onAlerts(alerts);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'egress: connection detection failed');
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private event(record: ConntrackRecord, ts: number): ConnectionEvent {
    const { orig, reply } = record;
    const agent = this.deps.identify(orig.src);
    return {
      ts,
      agentId: agent.id,
      group: agent.group,
      srcIp: orig.src,
      proto: record.proto,
      srcPort: orig.sport,
      // after a DNAT the reply comes from where the connection really went
      dst: reply.src,
      dstPort: reply.sport,
      decision: 'allowed',
      bytesOut: orig.bytes,
      bytesIn: reply.bytes,
      durationMs: Math.max(0, record.ts - ts),
      qname:
        this.deps.opened.nameAt(orig.src, orig.dst, ts) ?? this.deps.opened.nameAt(orig.src, reply.src, ts),
    };
  }

  /** From an agent network, and not the agent's DNS to dnsward itself. */
  private isAgentFlow(src: string, answeredBy: string, port: number): boolean {
    if (this.dnsward.has(`${answeredBy}|${port}`)) return false;
    const parsed = addressToBigInt(src);
    if (parsed === null) return false;
    return this.sources.some(
      (p) => p.family === parsed.family && (parsed.value & mask(p.family, p.bits)) === p.network,
    );
  }

  private push(event: ConnectionEvent): void {
    if (this.buffer.length >= MAX_BUFFERED) {
      this.dropped++;
      return;
    }
    this.buffer.push(event);
  }
}
