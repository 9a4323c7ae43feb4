// Synthesized answers, built by patching the client's own query bytes: deny, NODATA, FORMERR, NOTIMP, SERVFAIL.
import type { DenyRcode } from '../model/decision.js';
import type { Query } from '../model/query.js';
import { RCODE } from '../lib/dns-codes.js';
import { HEADER_BYTES } from './wire.js';

/** Our EDNS payload size (DNS flag day 2020). */
export const EDNS_UDP_SIZE = 1232;
const OPT_BYTES = 11;
/** RFC 6891 extended rcode BADVERS. */
const BADVERS = 16;

/** SOA RDATA for synthesized negative answers: "dnsward.invalid. hostmaster.dnsward.invalid. 1 3600 600 86400 <ttl>". */
function soaRdata(negativeTtl: number): Buffer {
  const mname = Buffer.from('\x07dnsward\x07invalid\x00', 'latin1');
  const rname = Buffer.from('\x0ahostmaster\x07dnsward\x07invalid\x00', 'latin1');
  const numbers = Buffer.alloc(20);
  [1, 3600, 600, 86400, negativeTtl].forEach((value, i) => numbers.writeUInt32BE(value, i * 4));
  return Buffer.concat([mname, rname, numbers]);
}

/**
 * The rcode a denial is answered with. A denial of a name that may exist (its qtype is not allowed, a CNAME target
 * is not, or it is the root) is NODATA (NOERROR, no answer, our SOA) rather than NXDOMAIN, which a downstream cache
 * applies to every type of the name (RFC 2308) and everything below it (RFC 8020). REFUSED stays REFUSED.
 */
export function denialRcode(groupRcode: DenyRcode, reason: string, name: string): DenyRcode | 'NOERROR' {
  if (groupRcode === 'REFUSED') return groupRcode;
  const nameMayExist =
    name === '.' || reason === 'qtype-not-allowed' || reason.startsWith('cname-not-allowed');
  return nameMayExist ? 'NOERROR' : groupRcode;
}

export class ResponseBuilder {
  /** The SOA record with its owner compressed to the question name (pointer to offset 12). */
  private readonly soaRecord: Buffer;

  constructor(negativeTtl: number) {
    const rdata = soaRdata(negativeTtl);
    this.soaRecord = Buffer.alloc(12 + rdata.length);
    this.soaRecord.writeUInt16BE(0xc000 | HEADER_BYTES, 0);
    this.soaRecord.writeUInt16BE(6, 2); // SOA
    this.soaRecord.writeUInt16BE(1, 4); // IN
    this.soaRecord.writeUInt32BE(negativeTtl, 6);
    this.soaRecord.writeUInt16BE(rdata.length, 10);
    rdata.copy(this.soaRecord, 12);
  }

  /** Denied names: NXDOMAIN and NODATA carry an SOA so negative caching works (RFC 2308); REFUSED carries nothing. */
  deny(msg: Buffer, query: Query, rcode: number): Buffer {
    const withSoa = rcode !== RCODE.REFUSED;
    const out = this.questionOnly(msg, query, rcode, withSoa ? this.soaRecord.length : 0);
    if (withSoa) {
      this.soaRecord.copy(out, query.questionEnd);
      out.writeUInt16BE(1, 8);
    }
    return out;
  }

  /** BADVERS (extended rcode 16: header rcode 0, OPT extended rcode 1) for an EDNS version above 0. */
  badVersion(msg: Buffer, query: Query): Buffer {
    const out = this.questionOnly(msg, query, RCODE.NOERROR);
    out[out.length - OPT_BYTES + 5] = BADVERS >> 4;
    return out;
  }

  /** Header + question (+ OPT when the client used EDNS), no records: SERVFAIL, REFUSED, BADVERS. */
  questionOnly(msg: Buffer, query: Query, rcode: number, reserve = 0): Buffer {
    const opt = query.ednsUdpSize > 0 ? OPT_BYTES : 0;
    const out = Buffer.allocUnsafe(query.questionEnd + reserve + opt);
    msg.copy(out, 0, 0, query.questionEnd);
    writeFlags(out, msg, rcode);
    out.writeUInt16BE(0, 6);
    out.writeUInt16BE(0, 8);
    out.writeUInt16BE(0, 10);
    if (opt) appendOpt(out, out.length - OPT_BYTES, query.dnssecOk);
    return out;
  }
}

/** FORMERR or NOTIMP for a message whose question we will not read: header only, echoing ID and opcode. */
export function headerOnly(msg: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  msg.copy(out, 0, 0, 2);
  const opcode = (msg.readUInt16BE(2) & 0x7800) | 0x8000; // QR + the client's opcode
  out.writeUInt16BE(opcode | (msg.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2);
  return out;
}

/** QR=1, RA=1, RD/CD copied from the query, the given rcode; counts are written by the caller. */
function writeFlags(out: Buffer, msg: Buffer, rcode: number): void {
  const query = msg.readUInt16BE(2);
  out.writeUInt16BE(0x8000 | (query & 0x0110) | 0x0080 | rcode, 2);
  out.writeUInt16BE(1, 4);
}

/** Writes an OPT record at `offset` and bumps ARCOUNT. */
export function appendOpt(out: Buffer, offset: number, dnssecOk: boolean): void {
  out[offset] = 0;
  out.writeUInt16BE(41, offset + 1);
  out.writeUInt16BE(EDNS_UDP_SIZE, offset + 3);
  out.writeUInt32BE(dnssecOk ? 0x8000 : 0, offset + 5);
  out.writeUInt16BE(0, offset + 9);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
}

export { OPT_BYTES };
