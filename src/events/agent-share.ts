// Each agent's share of the events offered over the last one to two seconds: under pressure the event queue drops
// the events of agents above the average share first, so one agent's flood cannot crowd out another's evidence.

const BUCKET_MS = 1000;
/** Agents tracked per bucket; past it (a spoofed-source flood) newcomers count as light, memory stays bounded. */
const MAX_AGENTS = 65_536;

export class AgentShare {
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private currentTotal = 0;
  private previousTotal = 0;
  private bucketStart = Number.NEGATIVE_INFINITY;

  /** Counts one event of `agent` at `ts` (ms). */
  count(agent: string, ts: number): void {
    if (ts - this.bucketStart >= BUCKET_MS) {
      const skipped = ts - this.bucketStart >= 2 * BUCKET_MS;
      this.previous = skipped ? new Map<string, number>() : this.current;
      this.previousTotal = skipped ? 0 : this.currentTotal;
      this.current = new Map();
      this.currentTotal = 0;
      this.bucketStart = ts;
    }
    const seen = this.current.get(agent);
    if (seen !== undefined) this.current.set(agent, seen + 1);
    else if (this.current.size < MAX_AGENTS) this.current.set(agent, 1);
    this.currentTotal++;
  }

  /** Whether `agent` sent more than the average agent recently (a lone agent never does). */
  aboveAverage(agent: string): boolean {
    const mine = (this.current.get(agent) ?? 0) + (this.previous.get(agent) ?? 0);
    const agents = Math.max(this.current.size, this.previous.size, 1);
    return mine * agents > this.currentTotal + this.previousTotal;
  }
}
