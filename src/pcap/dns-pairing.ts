// Pairs captured DNS queries with their responses (client address and port, DNS id, question).
import type { CapturedDns, CapturedRecord, CapturedTls } from './records.js';

/** A query and its response; either side is absent when the capture does not hold it. */
export interface DnsExchange {
  readonly kind: 'exchange';
  readonly query?: CapturedDns;
  readonly response?: CapturedDns;
}

export type PairedRecord = DnsExchange | CapturedTls;

export interface PairingOptions {
  /** A query unanswered this long (capture time) is reported without a response. Default 10 s. */
  readonly timeoutMs?: number;
  /** At most this many records wait for a response; past it the oldest goes out unanswered. */
  readonly maxPending?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_PENDING = 100_000;
const HEADER_BYTES = 12;

interface Slot {
  readonly ts: number;
  query?: CapturedDns;
  response?: CapturedDns;
  tls?: CapturedTls;
  key?: string;
}

/** True for a response (QR bit set). Messages too short to tell count as queries. */
export function isResponse(message: Buffer): boolean {
  return message.length >= 3 && ((message[2] ?? 0) & 0x80) !== 0;
}

/**
 * The pairing key of `record` seen from the client side: transport, client and server address and
 * port, DNS id and the first question (name case-folded: resolvers may randomise case, 0x20).
 * Undefined when the header is unreadable.
 */
export function exchangeKey(record: CapturedDns): string | undefined {
  const msg = record.payload;
  if (msg.length < HEADER_BYTES) return undefined;
  const response = isResponse(msg);
  const client = response ? `${record.dstIp}|${record.dstPort}` : `${record.srcIp}|${record.srcPort}`;
  const server = response ? `${record.srcIp}|${record.srcPort}` : `${record.dstIp}|${record.dstPort}`;
  return `${record.transport}|${client}|${server}|${msg.readUInt16BE(0)}|${question(msg)}`;
}

/** The first question's wire bytes as a case-folded string ("" when there is none). */
function question(msg: Buffer): string {
  if (msg.readUInt16BE(4) === 0) return '';
  let at = HEADER_BYTES;
  while (at < msg.length) {
    const len = msg[at] ?? 0;
    if (len === 0) {
      at += 1;
      break;
    }
    if ((len & 0xc0) !== 0) {
      at += 2;
      break;
    }
    at += 1 + len;
  }
  return msg.toString('latin1', HEADER_BYTES, Math.min(msg.length, at + 4)).toLowerCase();
}

/**
 * Streams `records` as exchanges, in the order their first message was captured. A query waits for
 * its response up to `timeoutMs` of capture time (records behind it wait too, so the order holds);
 * a response whose query is not in the capture comes out alone. TLS evidence passes through.
 */
export async function* pairDns(
  records: AsyncIterable<CapturedRecord>,
  options: PairingOptions = {},
): AsyncGenerator<PairedRecord> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  const queue: (Slot | undefined)[] = [];
  let head = 0;
  const open = new Map<string, Slot[]>();

  const close = (slot: Slot): void => {
    if (slot.key === undefined) return;
    const waiting = open.get(slot.key);
    const index = waiting?.indexOf(slot) ?? -1;
    if (waiting && index >= 0) waiting.splice(index, 1);
    if (waiting?.length === 0) open.delete(slot.key);
    delete slot.key;
  };

  function* ready(now: number, all: boolean): Generator<PairedRecord> {
    while (head < queue.length) {
      const slot = queue[head];
      if (!slot) break;
      const waiting = slot.key !== undefined;
      if (waiting && !all && now - slot.ts <= timeoutMs && queue.length - head <= maxPending) break;
      close(slot);
      queue[head++] = undefined; // release the records as they go out
      yield output(slot);
    }
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
  }

  for await (const record of records) {
    if (record.kind !== 'dns') {
      queue.push({ ts: record.ts, tls: record });
    } else {
      const key = exchangeKey(record);
      if (isResponse(record.payload)) {
        const slot = key === undefined ? undefined : open.get(key)?.[0];
        if (slot) {
          slot.response = record;
          close(slot);
        } else {
          queue.push({ ts: record.ts, response: record });
        }
      } else {
        const slot: Slot = { ts: record.ts, query: record };
        if (key !== undefined) {
          slot.key = key;
          const waiting = open.get(key);
          if (waiting) waiting.push(slot);
          else open.set(key, [slot]);
        }
        queue.push(slot);
      }
    }
    yield* ready(record.ts, false);
  }
  yield* ready(Infinity, true);
}

function output(slot: Slot): PairedRecord {
  if (slot.tls) return slot.tls;
  if (slot.query && slot.response) return { kind: 'exchange', query: slot.query, response: slot.response };
  if (slot.query) return { kind: 'exchange', query: slot.query };
  if (slot.response) return { kind: 'exchange', response: slot.response };
  throw new Error('empty pairing slot');
}
