// UDP truncation: a TC=1 answer keeping as many whole answer records as fit (RFC 2181 §9), for stubs without TCP.
import type { Query } from '../model/query.js';
import { appendOpt, OPT_BYTES } from './responses.js';
import { HEADER_BYTES, skipName } from './wire.js';

/**
 * `answer` (a well-formed response to `query`, over `limit` bytes) cut to header + question + the leading
 * answer records that fit whole, with TC=1, no authority or additional records, and our OPT when the client used
 * EDNS. The kept bytes are a prefix of `answer`, so compression pointers (which point backwards) stay valid.
 * musl before 1.2.4 never retries over TCP and reads the addresses of such an answer; others retry over TCP.
 */
export function truncateAnswer(answer: Buffer, query: Query, limit: number): Buffer {
  const opt = query.ednsUdpSize > 0 ? OPT_BYTES : 0;
  const ancount = answer.readUInt16BE(6);
  const questionName = skipName(answer, HEADER_BYTES);
  let end = questionName < 0 ? query.questionEnd : questionName + 4;
  let kept = 0;
  for (let offset = end; kept < ancount; kept++) {
    const nameEnd = skipName(answer, offset);
    if (nameEnd < 0 || nameEnd + 10 > answer.length) break;
    const recordEnd = nameEnd + 10 + answer.readUInt16BE(nameEnd + 8);
    if (recordEnd > answer.length || recordEnd + opt > limit) break;
    offset = end = recordEnd;
  }
  const out = Buffer.alloc(end + opt);
  answer.copy(out, 0, 0, end);
  out.writeUInt16BE(answer.readUInt16BE(2) | 0x0200, 2); // TC
  out.writeUInt16BE(kept, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  if (opt) appendOpt(out, end, query.dnssecOk);
  return out;
}
