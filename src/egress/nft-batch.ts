// Set elements for nftables, batched: one `nft -f -` transaction at a time, off the answer path; drops counted.
import { spawn } from 'node:child_process';
import type { AnswerSetStats } from '../metrics/egress-metrics.js';

export interface NftElement {
  /** Set name in the table ("egress_agent_v4"). */
  readonly set: string;
  /** Element key in nft syntax ("10.0.0.2 . 192.0.2.7"). */
  readonly key: string;
  readonly timeoutS: number;
}

/** Runs one nft script; rejects with nft's message. Injected in unit tests. */
export type NftRunner = (script: string) => Promise<void>;

export interface NftBatchOptions {
  readonly table: string;
  readonly family: string;
  readonly batchMs: number;
  readonly maxPending: number;
  readonly onError: (error: Error, elements: number) => void;
  readonly run?: NftRunner;
}

export class NftBatch implements AnswerSetStats {
  transactions = 0;
  elements = 0;
  failures = 0;
  dropped = 0;
  /** Keyed by set and key: a key answered twice in one batch is written once, with its longest timeout. */
  private pending = new Map<string, NftElement>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly run: NftRunner;

  constructor(private readonly options: NftBatchOptions) {
    this.run = options.run ?? runNft;
  }

  add(element: NftElement): void {
    const id = `${element.set} ${element.key}`;
    const known = this.pending.get(id);
    if (known === undefined && this.pending.size >= this.options.maxPending) {
      this.dropped++;
      return;
    }
    if (known === undefined || known.timeoutS < element.timeoutS) this.pending.set(id, element);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.batchMs);
  }

  /** Writes what is pending (after the transaction in flight, if any); resolves when it is done. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.running = this.write(batch).finally(() => (this.running = undefined));
    await this.running;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async write(batch: readonly NftElement[]): Promise<void> {
    try {
      await this.run(elementScript(this.options.family, this.options.table, batch));
      this.transactions++;
      this.elements += batch.length;
    } catch (error) {
      this.failures++;
      this.options.onError(error instanceof Error ? error : new Error(String(error)), batch.length);
    }
  }
}

/**
 * One transaction. `add element` leaves an existing element's timeout as it was, so each key is added (a no-op
 * when present), deleted and added again with its new timeout; nft applies the whole script atomically, so no
 * packet sees the key missing.
 */
export function elementScript(family: string, table: string, batch: readonly NftElement[]): string {
  const bySet = new Map<string, NftElement[]>();
  for (const element of batch) {
    const list = bySet.get(element.set);
    if (list) list.push(element);
    else bySet.set(element.set, [element]);
  }
  let script = '';
  for (const [set, elements] of bySet) {
    const target = `${family} ${table} ${set}`;
    const keys = elements.map((e) => e.key).join(', ');
    script += `add element ${target} { ${keys} }\n`;
    script += `delete element ${target} { ${keys} }\n`;
    script += `add element ${target} { ${elements.map((e) => `${e.key} timeout ${e.timeoutS}s`).join(', ')} }\n`;
  }
  return script;
}

/** `nft -f -` with the script on stdin. */
export function runNft(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 4000) stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`nft exited with ${code}: ${stderr.trim()}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(script);
  });
}
