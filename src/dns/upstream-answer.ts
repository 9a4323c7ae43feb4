// An upstream answer read once: its rcode, TTL positions (to decrement from cache) and negative TTL; OPT removed.
import { QTYPE, RCODE } from '../lib/dns-codes.js';
import { ipv4Text, ipv6Text } from '../lib/ip-text.js';
import { HEADER_BYTES, readName, skipName } from './wire.js';

export interface UpstreamAnswer {
  /** The response without its OPT record (we add our own per client), ID as received. */
  readonly wire: Buffer;
  readonly rcode: number;
  readonly truncated: boolean;
  readonly answerCount: number;
  /** Offsets of every record's TTL field in `wire`. */
  readonly ttlOffsets: readonly number[];
  /** Targets of CNAME records in the answer section, lower-case (for `cnames: require-allowed`). */
  readonly cnameTargets: readonly string[];
  /** A/AAAA addresses of the answer section as text (the egress answer sets), and their smallest TTL (0 if none). */
  readonly addresses: readonly string[];
  readonly addressTtl: number;
  /** Seconds this answer may be cached: min answer TTL, or for NXDOMAIN/NODATA min(SOA TTL, SOA MINIMUM); null = do not cache. */
  readonly cacheTtl: number | null;
}

/** Reads a response whose question has already been checked; null when it is malformed. */
export function readUpstreamAnswer(buf: Buffer, questionEnd: number): UpstreamAnswer | null {
  if (buf.length < HEADER_BYTES) return null;
  const flags = buf.readUInt16BE(2);
  const rcode = flags & 0x000f;
  const truncated = (flags & 0x0200) !== 0;
  const counts = [buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  const ttlOffsets: number[] = [];
  const cnameTargets: string[] = [];
  const addresses: string[] = [];
  let addressTtl = Infinity;
  let minTtl = Infinity;
  let soaTtl: number | null = null;
  let optStart = -1;
  let optEnd = -1;
  let offset = questionEnd;
  for (let section = 0; section < 3; section++) {
    for (let i = 0; i < (counts[section] ?? 0); i++) {
      const start = offset;
      const owner = skipName(buf, offset);
      if (owner < 0 || owner + 10 > buf.length) return null;
      const type = buf.readUInt16BE(owner);
      const ttl = buf.readUInt32BE(owner + 4);
      const rdlength = buf.readUInt16BE(owner + 8);
      offset = owner + 10 + rdlength;
      if (offset > buf.length) return null;
      if (type === QTYPE.OPT) {
        optStart = start;
        optEnd = offset;
        continue;
      }
      ttlOffsets.push(owner + 4);
      if (section === 0) minTtl = Math.min(minTtl, ttl);
      if (section === 0 && type === QTYPE.CNAME) {
        const target = readName(buf, owner + 10, true);
        if (typeof target === 'string') return null;
        cnameTargets.push(target.text.toLowerCase());
      }
      if (
        section === 0 &&
        ((type === QTYPE.A && rdlength === 4) || (type === QTYPE.AAAA && rdlength === 16))
      ) {
        addresses.push(type === QTYPE.A ? ipv4Text(buf, owner + 10) : ipv6Text(buf, owner + 10));
        addressTtl = Math.min(addressTtl, ttl);
      }
      if (section === 1 && type === QTYPE.SOA && rdlength >= 22) {
        soaTtl = Math.min(ttl, buf.readUInt32BE(offset - 4));
      }
    }
  }
  let wire = buf.subarray(0, offset);
  if (optStart >= 0) {
    wire = Buffer.concat([buf.subarray(0, optStart), buf.subarray(optEnd, offset)]);
    wire.writeUInt16BE(counts[2] - 1, 10);
    for (let i = 0; i < ttlOffsets.length; i++) {
      const ttlOffset = ttlOffsets[i] ?? 0;
      if (ttlOffset > optStart) ttlOffsets[i] = ttlOffset - (optEnd - optStart);
    }
  }
  return {
    wire,
    rcode,
    truncated,
    answerCount: counts[0],
    ttlOffsets,
    cnameTargets,
    addresses,
    addressTtl: addresses.length > 0 ? addressTtl : 0,
    cacheTtl: cacheTtl(rcode, counts[0], minTtl, soaTtl),
  };
}

function cacheTtl(rcode: number, answers: number, minTtl: number, soaTtl: number | null): number | null {
  if (rcode === RCODE.NOERROR && answers > 0) return minTtl;
  // RFC 2308: negative answers are cached for min(SOA TTL, SOA MINIMUM), and only with an SOA
  if (rcode === RCODE.NXDOMAIN || (rcode === RCODE.NOERROR && answers === 0)) return soaTtl;
  return null;
}
