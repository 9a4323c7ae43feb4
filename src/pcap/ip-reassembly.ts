// Bounded reassembly of IPv4/IPv6 fragments; what cannot be completed is counted, never guessed.
import type { FragmentInfo } from './ip.js';

const MAX_DATAGRAM_BYTES = 65535;
/** At most this many datagrams wait for fragments (so at most 16 MiB of fragment data). */
const DEFAULT_MAX_PENDING = 256;
/** Linux keeps fragments 30 s (net.ipv4.ipfrag_time); so do we, in capture time. */
const DEFAULT_TIMEOUT_MS = 30_000;

interface Pending {
  readonly firstTs: number;
  readonly parts: { offset: number; data: Buffer }[];
  /** Payload length, known once the last fragment (more = false) arrived. */
  total: number;
}

export interface ReassemblyCounters {
  fragmentsSkipped: number;
  fragmentsReassembled: number;
}

export class FragmentReassembler {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly counters: ReassemblyCounters,
    private readonly maxPending = DEFAULT_MAX_PENDING,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  /**
   * Adds one fragment of the datagram named by `key` (addresses, protocol and id); returns the
   * datagram's payload once every byte from 0 to the last fragment's end has arrived.
   */
  add(key: string, fragment: FragmentInfo, data: Buffer, ts: number): Buffer | undefined {
    this.expire(ts);
    const end = fragment.offset + data.length;
    if (end > MAX_DATAGRAM_BYTES) {
      this.counters.fragmentsSkipped++;
      return undefined;
    }
    let entry = this.pending.get(key);
    if (!entry) {
      if (this.pending.size >= this.maxPending) this.drop(this.pending.keys().next().value);
      entry = { firstTs: ts, parts: [], total: -1 };
      this.pending.set(key, entry);
    }
    entry.parts.push({ offset: fragment.offset, data: Buffer.from(data) });
    if (!fragment.more) entry.total = end;
    if (entry.total < 0) return undefined;
    const assembled = assemble(entry);
    if (!assembled) return undefined;
    this.pending.delete(key);
    this.counters.fragmentsReassembled++;
    return assembled;
  }

  /** Counts every fragment still waiting as skipped (end of capture). */
  flush(): void {
    for (const key of [...this.pending.keys()]) this.drop(key);
  }

  private expire(now: number): void {
    for (const [key, entry] of this.pending) {
      if (now - entry.firstTs <= this.timeoutMs) break; // insertion order = age order
      this.drop(key);
    }
  }

  private drop(key: string | undefined): void {
    if (key === undefined) return;
    const entry = this.pending.get(key);
    if (!entry) return;
    this.counters.fragmentsSkipped += entry.parts.length;
    this.pending.delete(key);
  }
}

/** The payload when the parts cover 0..total without a hole; overlapping bytes: first arrival wins. */
function assemble(entry: Pending): Buffer | undefined {
  const parts = [...entry.parts].sort((a, b) => a.offset - b.offset);
  let covered = 0;
  for (const part of parts) {
    if (part.offset > covered) return undefined;
    covered = Math.max(covered, part.offset + part.data.length);
  }
  if (covered < entry.total) return undefined;
  const out = Buffer.alloc(entry.total);
  for (const part of [...entry.parts].reverse()) {
    if (part.offset < entry.total) part.data.copy(out, part.offset, 0, entry.total - part.offset);
  }
  return out;
}
