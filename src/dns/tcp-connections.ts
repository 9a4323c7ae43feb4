// The TCP connections open at once, by client address: a cap per client and in all. A new connection over a cap
// evicts the idlest connection of that client, or (over the total) of the client holding the most, so one
// address can never shut other clients, and their TC=1 retries, out of TCP.

/** What the table needs of a connection. */
export interface TrackedConnection {
  /** performance.now() of the last complete query or answer. */
  lastActive: number;
  /** Queries read and not yet answered. */
  inflight: number;
  close(): void;
}

export class TcpConnections<C extends TrackedConnection> {
  private readonly byClient = new Map<string, Set<C>>();
  private total = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerClient: number,
  ) {}

  get size(): number {
    return this.total;
  }

  /** Adds `connection`, first closing the connections it evicts (returned, for counting). */
  add(client: string, connection: C): number {
    let evicted = 0;
    const own = this.byClient.get(client);
    if (own && own.size >= this.maxPerClient) evicted += this.evictFrom(client, own);
    while (this.total >= this.maxTotal) {
      const hog = this.largest();
      if (hog === undefined) break;
      evicted += this.evictFrom(hog[0], hog[1]);
    }
    const set = this.byClient.get(client) ?? new Set<C>();
    set.add(connection);
    this.byClient.set(client, set);
    this.total++;
    return evicted;
  }

  remove(client: string, connection: C): void {
    const set = this.byClient.get(client);
    if (!set?.delete(connection)) return;
    this.total--;
    if (set.size === 0) this.byClient.delete(client);
  }

  /** Closes the client's idlest connection: with nothing in flight first, then the least recently active. */
  private evictFrom(client: string, set: Set<C>): number {
    let victim: C | undefined;
    for (const c of set) {
      if (
        victim === undefined ||
        (c.inflight === 0 && victim.inflight > 0) ||
        ((c.inflight === 0) === (victim.inflight === 0) && c.lastActive < victim.lastActive)
      )
        victim = c;
    }
    if (victim === undefined) return 0;
    this.remove(client, victim);
    victim.close();
    return 1;
  }

  private largest(): [string, Set<C>] | undefined {
    let best: [string, Set<C>] | undefined;
    for (const entry of this.byClient) if (best === undefined || entry[1].size > best[1].size) best = entry;
    return best;
  }
}
