// Which allowlisted name opened a destination for an agent, and until when: the correlation of AG-404 4.9.
import { Lru } from '../lib/lru.js';

interface Opening {
  readonly qname: string;
  readonly expiresAt: number;
}

/** Agent address -> destination -> the latest answer that gave it; bounded (oldest pairs are forgotten first). */
export class OpenedBy {
  private readonly pairs: Lru<string, Opening>;

  constructor(capacity = 200_000) {
    this.pairs = new Lru(capacity);
  }

  /**
   * Two names behind one address (a CDN): the later answer names it.
   * Records an answer unless the pair is already open for longer than `freshMs` after `ts` (then only the name is
   * updated, its end kept: that is still when the set element times out). True when the set needs the element.
   */
  offer(
    agentIp: string,
    dst: string,
    qname: string,
    ts: number,
    expiresAt: number,
    freshMs: number,
  ): boolean {
    const key = `${agentIp}|${dst}`;
    const known = this.pairs.peek(key);
    const refresh = known === undefined || known.expiresAt - ts <= freshMs;
    this.pairs.set(key, { qname, expiresAt: refresh ? expiresAt : known.expiresAt });
    return refresh;
  }

  /** The name whose answer had `dst` open for this agent at `ts`, or null. */
  nameAt(agentIp: string, dst: string, ts: number): string | null {
    const opening = this.pairs.peek(`${agentIp}|${dst}`);
    return opening !== undefined && opening.expiresAt >= ts ? opening.qname : null;
  }
}

/** "::ffff:10.0.0.2" (an IPv4 client on a dual-stack socket) -> "10.0.0.2". */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
