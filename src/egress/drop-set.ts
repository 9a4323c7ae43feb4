// The ruleset's drop sets (egress_dropped_v4/v6): `nft -j list set` read into flows, polled for new ones.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../log/logger.js';

export interface DroppedFlow {
  readonly src: string;
  readonly dst: string;
  readonly proto: string;
  readonly sport: number;
  readonly dport: number;
  readonly packets: number;
  readonly bytes: number;
  /** Seconds left before the element times out (each dropped packet resets it). */
  readonly expiresS: number;
}

interface JsonElement {
  readonly elem?: {
    readonly val?: { readonly concat?: readonly unknown[] };
    readonly expires?: number;
    readonly counter?: { readonly packets?: number; readonly bytes?: number };
  };
}

/** The flows in one `nft -j list set` document; elements of another shape are skipped. */
export function parseDropSet(json: string): DroppedFlow[] {
  const doc = JSON.parse(json) as { nftables?: readonly { set?: { elem?: readonly JsonElement[] } }[] };
  const out: DroppedFlow[] = [];
  for (const item of doc.nftables ?? []) {
    for (const element of item.set?.elem ?? []) {
      const e = element.elem;
      const [src, dst, proto, sport, dport] = e?.val?.concat ?? [];
      if (typeof src !== 'string' || typeof dst !== 'string') continue;
      out.push({
        src,
        dst,
        proto: String(proto),
        sport: Number(sport) || 0,
        dport: Number(dport) || 0,
        packets: e?.counter?.packets ?? 0,
        bytes: e?.counter?.bytes ?? 0,
        expiresS: e?.expires ?? 0,
      });
    }
  }
  return out;
}

export type SetLister = (set: string) => Promise<string>;

/** Reports each flow once, when it first shows up in a drop set; forgets it when its element times out. */
export class DropSetPoller {
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly list: SetLister;

  constructor(
    private readonly options: {
      readonly family: string;
      readonly table: string;
      readonly pollMs: number;
      readonly onDropped: (flow: DroppedFlow) => void;
      readonly log: Logger;
      readonly list?: SetLister;
    },
  ) {
    this.list = options.list ?? ((set) => listSet(options.family, options.table, set));
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.options.pollMs).unref();
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const present = new Set<string>();
      for (const set of ['egress_dropped_v4', 'egress_dropped_v6']) {
        for (const flow of parseDropSet(await this.list(set))) {
          const key = `${flow.src}|${flow.dst}|${flow.proto}|${flow.sport}|${flow.dport}`;
          present.add(key);
          if (this.seen.has(key)) continue;
          this.seen.add(key);
          this.options.onDropped(flow);
        }
      }
      for (const key of this.seen) if (!present.has(key)) this.seen.delete(key);
    } catch (error) {
      this.options.log.warn({ err: error }, 'egress: drop set not read');
    } finally {
      this.polling = false;
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}

const execFileText = promisify(execFile);

async function listSet(family: string, table: string, set: string): Promise<string> {
  const { stdout } = await execFileText('nft', ['-j', 'list', 'set', family, table, set], {
    maxBuffer: 64 << 20,
  });
  return stdout;
}
