// DnsTap: the wire messages of each exchange, handed to an exporter (dnstap) after the answer was sent.
import type { Transport } from './query.js';

/** A client's query and dnsward's answer (null when none was sent: rate-limit drop). */
export interface ClientExchange {
  readonly transport: Transport;
  readonly clientIp: string;
  readonly clientPort: number;
  /** Epoch milliseconds, fractional (microseconds). */
  readonly queryTimeMs: number;
  readonly responseTimeMs: number;
  readonly query: Buffer;
  readonly response: Buffer | null;
  readonly agentId: string;
  readonly group: string;
  readonly decision: string;
  readonly ruleId: string;
}

/** One exchange with an upstream: the query dnsward sent and the answer it accepted (null: none). */
export interface ForwarderExchange {
  readonly transport: Transport;
  readonly upstreamIp: string;
  readonly upstreamPort: number;
  readonly queryTimeMs: number;
  readonly responseTimeMs: number | null;
  readonly query: Buffer;
  readonly response: Buffer | null;
}

/** Called on the answer thread after the reply left; must only hand the buffers over, never block or throw. */
export interface DnsTap {
  client(exchange: ClientExchange): void;
  forwarder(exchange: ForwarderExchange): void;
}
