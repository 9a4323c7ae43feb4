// ConnectionEvent: one agent connection as the kernel saw it (conntrack, or the ruleset's drop set).

export type ConnectionDecision = 'allowed' | 'dropped';

export interface ConnectionEvent {
  /** Epoch ms the connection was first seen. */
  ts: number;
  agentId: string;
  group: string;
  /** Agent source address (not in the JSON contract, but kept for the alert's clientIp and the store). */
  srcIp: string;
  /** "tcp", "udp", "icmp", ... as conntrack names it. */
  proto: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  decision: ConnectionDecision;
  bytesOut: number;
  bytesIn: number;
  durationMs: number;
  /** The allowlisted name whose answer opened `dst` for this agent, or null (no answer did). */
  qname: string | null;
}

/** The JSON fields of `dnsward connections --json` and the NDJSON stream, in order. */
export const CONNECTION_FIELDS = [
  'ts',
  'agentId',
  'group',
  'proto',
  'srcPort',
  'dst',
  'dstPort',
  'decision',
  'bytesOut',
  'bytesIn',
  'durationMs',
  'qname',
] as const satisfies readonly (keyof ConnectionEvent)[];

/** The event in its JSON shape (ts as ISO 8601). */
export function connectionJson(event: ConnectionEvent): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const field of CONNECTION_FIELDS)
    out[field] = field === 'ts' ? new Date(event.ts).toISOString() : event[field];
  return out;
}
