// Query: the question of one DNS message, read from the wire once and shared by every stage.

export type Transport = 'udp' | 'tcp';

export interface Query {
  readonly id: number;
  /** Presentation form (RFC 1035 5.1: non-printable bytes as \DDD), original case, no trailing dot; "." for the root. */
  readonly qname: string;
  /** Lower-cased qname: the key for policy, cache and detection. */
  readonly name: string;
  readonly qtype: number;
  readonly qclass: number;
  /** EDNS0: the client's advertised UDP payload size, or 0 when it sent no OPT record. */
  readonly ednsUdpSize: number;
  /** EDNS0 DO bit (DNSSEC OK). */
  readonly dnssecOk: boolean;
  /** EDNS version of the OPT record (0 when absent); above 0 gets BADVERS (RFC 6891 §6.1.3). */
  readonly ednsVersion: number;
  /** The client sent an EDNS Client Subnet option. */
  readonly hasClientSubnet: boolean;
  readonly recursionDesired: boolean;
  readonly checkingDisabled: boolean;
  /** Byte offset where the question section ends. */
  readonly questionEnd: number;
}

export interface Client {
  readonly address: string;
  readonly port: number;
  readonly transport: Transport;
}
