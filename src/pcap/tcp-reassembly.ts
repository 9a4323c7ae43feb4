// One direction of a TCP connection: orders segments by sequence number into a byte stream.

/**
 * Receives the stream: bytes in order, each with the context of the segment that made them
 * deliverable, and notice of a hole the capture never filled.
 */
export interface StreamSink<C> {
  data(bytes: Buffer, context: C): void;
  gap(): void;
}

const MAX_OUT_OF_ORDER_SEGMENTS = 32;
const MAX_OUT_OF_ORDER_BYTES = 64 * 1024;

/** Distance from `b` to `a` in 32-bit sequence space (negative when `a` is behind). */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

interface Held<C> {
  readonly payload: Buffer;
  readonly context: C;
}

/**
 * Delivers each byte once, in sequence order: retransmissions and overlaps are trimmed, segments
 * ahead of a hole wait (bounded) until it is filled; past the bound, or on close, the hole is
 * reported as a gap and the stream continues after it. Bytes released by filling a hole carry the
 * filling segment's context (as tshark reports them); bytes released past a gap keep their own.
 */
export class TcpStream<C> {
  private next: number | undefined;
  private readonly waiting = new Map<number, Held<C>>();
  private waitingBytes = 0;

  constructor(private readonly sink: StreamSink<C>) {}

  /** A segment: `syn` set when it carries SYN (its data, if any, starts at seq + 1). */
  push(seq: number, payload: Buffer, syn: boolean, context: C): void {
    let start = seq;
    if (syn) {
      start = (seq + 1) >>> 0;
      this.next ??= start;
    }
    if (payload.length === 0) return;
    this.next ??= start; // joined mid-connection: trust the first segment we see
    if (seqDiff(start, this.next) > 0) {
      this.hold(start, payload, context);
      return;
    }
    this.deliver(start, payload, context);
    this.drain(context);
  }

  /** Connection closed or abandoned: whatever waits behind a hole is delivered after a gap. */
  close(): void {
    while (this.waiting.size > 0) this.skipToFirstWaiting();
  }

  private deliver(start: number, payload: Buffer, context: C): void {
    if (this.next === undefined) return;
    const overlap = -seqDiff(start, this.next);
    if (overlap >= payload.length) return; // retransmission of bytes already delivered
    const fresh = overlap > 0 ? payload.subarray(overlap) : payload;
    this.next = (this.next + fresh.length) >>> 0;
    this.sink.data(fresh, context);
  }

  private hold(start: number, payload: Buffer, context: C): void {
    const held = this.waiting.get(start);
    if (held && held.payload.length >= payload.length) return;
    this.waitingBytes += payload.length - (held?.payload.length ?? 0);
    this.waiting.set(start, { payload: Buffer.from(payload), context });
    if (this.waiting.size > MAX_OUT_OF_ORDER_SEGMENTS || this.waitingBytes > MAX_OUT_OF_ORDER_BYTES) {
      this.skipToFirstWaiting();
    }
  }

  /** Delivers every waiting segment that now touches the stream's end. */
  private drain(context: C | undefined): void {
    let progressed = true;
    while (progressed && this.waiting.size > 0 && this.next !== undefined) {
      progressed = false;
      for (const [start, held] of this.waiting) {
        if (seqDiff(start, this.next) <= 0) {
          this.waiting.delete(start);
          this.waitingBytes -= held.payload.length;
          this.deliver(start, held.payload, context ?? held.context);
          progressed = true;
        }
      }
    }
  }

  /** Gives up on the hole before the earliest waiting segment. */
  private skipToFirstWaiting(): void {
    const next = this.next;
    if (next === undefined) return;
    let first: number | undefined;
    for (const start of this.waiting.keys()) {
      if (first === undefined || seqDiff(start, next) < seqDiff(first, next)) first = start;
    }
    if (first === undefined) return;
    this.next = first;
    this.sink.gap();
    this.drain(undefined);
  }
}
