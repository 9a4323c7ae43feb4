// Wire-level reading of queries and responses: the narrow fast path beside dns-packet, for the common case.
import { OPCODE_QUERY, QTYPE } from '../lib/dns-codes.js';
import type { Query } from '../model/query.js';

export const HEADER_BYTES = 12;
const MAX_NAME_BYTES = 255;
const OPTION_CLIENT_SUBNET = 8;

export type ParsedQuery =
  /** No readable header, or a response: nothing to answer. */
  | { readonly kind: 'drop'; readonly reason: 'short' | 'response' }
  /** Header readable but the message is not a query we can parse. */
  | { readonly kind: 'formerr'; readonly reason: string }
  | { readonly kind: 'notimp'; readonly opcode: number }
  | { readonly kind: 'query'; readonly query: Query };

/** A name read from the wire: presentation text and where the name ends. */
interface WireName {
  text: string;
  end: number;
  /** The text in lower case, when the reader made it on the way. */
  lower?: string;
}

/** Reads the single question and the EDNS OPT record of a query; never throws. */
export function parseQuery(buf: Buffer): ParsedQuery {
  if (buf.length < HEADER_BYTES) return { kind: 'drop', reason: 'short' };
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) return { kind: 'drop', reason: 'response' };
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== OPCODE_QUERY) return { kind: 'notimp', opcode };
  if (buf.readUInt16BE(4) !== 1) return { kind: 'formerr', reason: 'question count is not 1' };
  const name = readPlainQuestionName(buf, HEADER_BYTES) ?? readName(buf, HEADER_BYTES, false);
  if (typeof name === 'string') return { kind: 'formerr', reason: name };
  if (name.end + 4 > buf.length) return { kind: 'formerr', reason: 'question truncated' };
  const qtype = buf.readUInt16BE(name.end);
  const qclass = buf.readUInt16BE(name.end + 2);
  const questionEnd = name.end + 4;

  let ednsUdpSize = 0;
  let dnssecOk = false;
  let hasClientSubnet = false;
  let ednsVersion = 0;
  let offset = questionEnd;
  const records = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  const additionalFrom = buf.readUInt16BE(6) + buf.readUInt16BE(8);
  for (let i = 0; i < records; i++) {
    const owner = skipName(buf, offset);
    if (owner < 0 || owner + 10 > buf.length) return { kind: 'formerr', reason: 'record truncated' };
    const type = buf.readUInt16BE(owner);
    const rdlength = buf.readUInt16BE(owner + 8);
    const rdata = owner + 10;
    if (rdata + rdlength > buf.length) return { kind: 'formerr', reason: 'record data truncated' };
    if (type === QTYPE.OPT) {
      if (i < additionalFrom || ednsUdpSize !== 0 || owner !== offset + 1) {
        return { kind: 'formerr', reason: 'misplaced or repeated OPT record' };
      }
      ednsUdpSize = Math.max(512, buf.readUInt16BE(owner + 2));
      dnssecOk = (buf.readUInt16BE(owner + 6) & 0x8000) !== 0;
      ednsVersion = buf[owner + 5] ?? 0;
      if (!optionsFramed(buf, rdata, rdata + rdlength))
        return { kind: 'formerr', reason: 'EDNS options overrun the OPT record' };
      hasClientSubnet = hasOption(buf, rdata, rdata + rdlength, OPTION_CLIENT_SUBNET);
    }
    offset = rdata + rdlength;
  }
  const lower = name.lower ?? name.text.toLowerCase();
  return {
    kind: 'query',
    query: {
      id: buf.readUInt16BE(0),
      qname: name.text,
      name: lower,
      qtype,
      qclass,
      ednsUdpSize,
      dnssecOk,
      ednsVersion,
      hasClientSubnet,
      recursionDesired: (flags & 0x0100) !== 0,
      checkingDisabled: (flags & 0x0010) !== 0,
      questionEnd,
    },
  };
}

/**
 * Reads an uncompressed name (a query's question must not point anywhere) or, with `allowPointers`,
 * a compressed one. Returns an error message instead of throwing.
 */
export function readName(buf: Buffer, start: number, allowPointers: boolean): WireName | string {
  let offset = start;
  let text = '';
  let total = 1;
  let end = -1;
  let jumps = 0;
  for (;;) {
    if (offset >= buf.length) return 'name truncated';
    const len = buf[offset] ?? 0;
    if (len === 0) {
      if (end < 0) end = offset + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (!allowPointers) return 'compression pointer in question';
      if (offset + 1 >= buf.length) return 'name truncated';
      const target = ((len & 0x3f) << 8) | (buf[offset + 1] ?? 0);
      if (end < 0) end = offset + 2;
      // pointers must go backwards, which also rules out loops
      if (target >= offset || ++jumps > 64) return 'bad compression pointer';
      offset = target;
      continue;
    }
    if (len > 63) return 'label longer than 63 bytes';
    if (offset + 1 + len > buf.length) return 'name truncated';
    total += len + 1;
    if (total > MAX_NAME_BYTES) return 'name longer than 255 bytes';
    if (text !== '') text += '.';
    text += labelText(buf, offset + 1, offset + 1 + len);
    offset += len + 1;
  }
  return { text: text === '' ? '.' : text, end };
}

/** Scratch for a question name's text, lower-cased and as asked (a 255-byte wire name is at most 253 characters). */
const lowerScratch = Buffer.allocUnsafe(MAX_NAME_BYTES);
const askedScratch = Buffer.allocUnsafe(MAX_NAME_BYTES);
/** ASCII upper case to lower case; every other byte as is (as String.prototype.toLowerCase does for them). */
const LOWER = new Uint8Array(256).map((_, c) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c));

/**
 * The common question name, uncompressed and printable, read in one pass: one string made for the lower-case
 * form and, when the name had no upper case, the same string as the text as asked (a string per label, their
 * concatenation and a toLowerCase cost ~15 % of the answer path). Null for anything else (escapes, pointers,
 * the root, malformed): readName then reads it or says what is wrong.
 */
function readPlainQuestionName(buf: Buffer, start: number): WireName | null {
  let offset = start;
  let n = 0;
  let upper = false;
  for (;;) {
    if (offset >= buf.length) return null;
    const len = buf[offset] ?? 0;
    if (len === 0) break;
    // a pointer (0xc0) or an over-long label is > 63; both lengths checked again by readName
    if (len > 63 || offset + 1 + len > buf.length || offset + 1 + len - start >= MAX_NAME_BYTES) return null;
    if (n > 0) lowerScratch[n] = askedScratch[n++] = 0x2e;
    for (let i = offset + 1; i <= offset + len; i++) {
      const c = buf[i] ?? 0;
      if (PRESENTATION[c] !== PLAIN) return null;
      const l = LOWER[c] ?? c;
      if (l !== c) upper = true;
      lowerScratch[n] = l;
      askedScratch[n++] = c;
    }
    offset += len + 1;
  }
  if (n === 0) return null;
  const lower = lowerScratch.toString('latin1', 0, n);
  return { text: upper ? askedScratch.toString('latin1', 0, n) : lower, end: offset + 1, lower };
}

const PLAIN = 0;
const ESCAPED = 1;
const DECIMAL = 2;
/** Per byte: printable as is, a special that takes a backslash ( . \ " ( ) ; @ $ ), or \DDD. */
const PRESENTATION = new Uint8Array(256).map((_, c) => {
  if (c <= 0x20 || c >= 0x7f) return DECIMAL;
  return '."\\();@$'.includes(String.fromCharCode(c)) ? ESCAPED : PLAIN;
});

/** RFC 1035 §5.1 presentation: printable bytes as is, specials backslash-escaped, the rest as \DDD. */
function labelText(buf: Buffer, start: number, end: number): string {
  let i = start;
  while (i < end && PRESENTATION[buf[i] ?? 0] === PLAIN) i++;
  if (i === end) return buf.toString('latin1', start, end);
  let out = buf.toString('latin1', start, i);
  for (; i < end; i++) {
    const c = buf[i] ?? 0;
    const kind = PRESENTATION[c];
    if (kind === DECIMAL) out += `\\${String(c).padStart(3, '0')}`;
    else if (kind === ESCAPED) out += `\\${String.fromCharCode(c)}`;
    else out += String.fromCharCode(c);
  }
  return out;
}

/** Offset just past a (possibly compressed) name, or -1 if malformed. */
export function skipName(buf: Buffer, start: number): number {
  let offset = start;
  while (offset < buf.length) {
    const len = buf[offset] ?? 0;
    if (len === 0) return offset + 1;
    if ((len & 0xc0) === 0xc0) return offset + 2 <= buf.length ? offset + 2 : -1;
    if (len > 63) return -1;
    offset += len + 1;
  }
  return -1;
}

/** True when the OPT RDATA is a whole number of {code, length, data} options (RFC 6891 §6.1.2). */
function optionsFramed(buf: Buffer, start: number, end: number): boolean {
  let offset = start;
  while (offset + 4 <= end) offset += 4 + buf.readUInt16BE(offset + 2);
  return offset === end;
}

function hasOption(buf: Buffer, start: number, end: number, code: number): boolean {
  for (let offset = start; offset + 4 <= end;) {
    if (buf.readUInt16BE(offset) === code) return true;
    offset += 4 + buf.readUInt16BE(offset + 2);
  }
  return false;
}

/**
 * True when the question at `a`[aStart, aEnd) equals the one at `b`[bStart...): name bytes compared
 * case-insensitively (resolvers may randomise case, 0x20), qtype and qclass exactly.
 */
export function sameQuestion(a: Buffer, aStart: number, aEnd: number, b: Buffer, bStart: number): boolean {
  const length = aEnd - aStart;
  if (bStart + length > b.length) return false;
  for (let i = 0; i < length; i++) {
    let x = a[aStart + i] ?? 0;
    let y = b[bStart + i] ?? 0;
    if (i < length - 4) {
      if (x >= 0x41 && x <= 0x5a) x |= 0x20;
      if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    }
    if (x !== y) return false;
  }
  return true;
}
