// Turn a stored upstream answer into the bytes for one client: its ID and question case, aged TTLs, its EDNS.
import type { Query } from '../model/query.js';
import type { CachedAnswer } from './cache.js';
import { appendOpt, OPT_BYTES } from './responses.js';
import { HEADER_BYTES } from './wire.js';

export function answerForClient(msg: Buffer, query: Query, answer: CachedAnswer, now: number): Buffer {
  const opt = query.ednsUdpSize > 0 ? OPT_BYTES : 0;
  const out = Buffer.allocUnsafe(answer.wire.length + opt);
  answer.wire.copy(out);
  msg.copy(out, 0, 0, 2);
  // the question exactly as the client asked it (case included, RFC 1035 §7.3 / 0x20)
  msg.copy(out, HEADER_BYTES, HEADER_BYTES, query.questionEnd);
  const flags = out.readUInt16BE(2);
  // AA cleared: a forwarder is not the authority; RD/CD as the client sent them; RA set
  out.writeUInt16BE((flags & ~0x0510) | (msg.readUInt16BE(2) & 0x0110) | 0x0080, 2);
  const elapsed = Math.floor((now - answer.storedAt) / 1000);
  if (elapsed > 0) {
    for (let i = 0; i < answer.ttlOffsets.length; i++) {
      out.writeUInt32BE(Math.max(0, (answer.ttls[i] ?? 0) - elapsed), answer.ttlOffsets[i] ?? 0);
    }
  }
  if (opt) appendOpt(out, answer.wire.length, query.dnssecOk);
  return out;
}
