// The records and statistics a capture read produces: the contract between the reader and replay.
import type { Transport } from '../model/query.js';

/** One DNS message (query or response) found in a capture. */
export interface CapturedDns {
  readonly kind: 'dns';
  /** Capture time, epoch milliseconds (fractional; exact to the microsecond). */
  readonly ts: number;
  readonly transport: Transport;
  readonly srcIp: string;
  readonly srcPort: number;
  readonly dstIp: string;
  readonly dstPort: number;
  /** The DNS message without the TCP length prefix; a copy, safe to keep. */
  readonly payload: Buffer;
  /** 1-based frame number, as tshark counts; for TCP the frame that completed the message. */
  readonly frame: number;
}

/**
 * Evidence of DNS that bypasses the resolver: `dot` is a TCP connection to port 853 (DNS over TLS),
 * reported once per connection; `tls-sni` is a TLS ClientHello on any TCP port whose SNI was read.
 */
export interface CapturedTls {
  readonly kind: 'tls-sni' | 'dot';
  readonly ts: number;
  readonly srcIp: string;
  readonly srcPort: number;
  readonly dstIp: string;
  readonly dstPort: number;
  /** Server name from the ClientHello (always set for `tls-sni`, never for `dot`). */
  readonly sni?: string;
  readonly frame: number;
}

export type CapturedRecord = CapturedDns | CapturedTls;

/** Where and why reading stopped early. Everything before `offset` was read and reported. */
export interface CaptureError {
  /** Byte offset in the file of the record (or header) that could not be read. */
  readonly offset: number;
  readonly message: string;
}

/** Counters of one read; final once the record iterator is done. */
export interface ReadStats {
  /** 'pcap' or 'pcapng' once the magic bytes were read. */
  format: 'pcap' | 'pcapng' | 'unknown';
  /** Bytes consumed from the file. */
  bytes: number;
  frames: number;
  dnsMessages: number;
  /** `dot` and `tls-sni` records reported. */
  tlsRecords: number;
  /**
   * IP fragments (of UDP/TCP datagrams; any IPv6 datagram) that could not be reassembled: still
   * incomplete after 30 s of capture time, evicted past 256 pending datagrams, or at end of file.
   */
  fragmentsSkipped: number;
  /** Datagrams rebuilt from fragments. */
  fragmentsReassembled: number;
  /** Frames whose link layer carries something other than IPv4/IPv6 (ARP, LLDP, ...). */
  nonIp: number;
  /** Frames on an interface whose link type this reader does not decode. */
  unsupportedLinkType: number;
  /** Frames cut short by the snap length or with inconsistent headers. */
  malformed: number;
  /** TCP byte ranges lost to capture gaps in DNS streams (stream resynchronised after). */
  tcpGaps: number;
  /** Set when the file is truncated or corrupt; reading stopped there. */
  error?: CaptureError;
}

export interface ReadOptions {
  /** UDP/TCP ports that carry DNS. Default {53}; 5353 (mDNS) only when named. */
  readonly ports?: ReadonlySet<number>;
  /** Read buffer size in bytes (default 1 MiB). */
  readonly chunkSize?: number;
}

export function emptyStats(): ReadStats {
  return {
    format: 'unknown',
    bytes: 0,
    frames: 0,
    dnsMessages: 0,
    tlsRecords: 0,
    fragmentsSkipped: 0,
    fragmentsReassembled: 0,
    nonIp: 0,
    unsupportedLinkType: 0,
    malformed: 0,
    tcpGaps: 0,
  };
}
