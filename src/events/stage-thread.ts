// The stages on a worker thread: the answer thread encodes each batch's rows once (the query-log segment's JSON)
// and posts the text; SQLite, NDJSON and detection run beside it on another core. Alerts come back for metrics
// and quarantines, which live on the answer thread.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { StoreConfig } from '../config/sections/store.js';
import type { AlertState } from '../model/alert.js';
import type { Logger } from '../log/logger.js';
import type { QueryEvent } from '../model/query-event.js';
import { encodeRows } from '../store/query-log-row.js';
import type { StageHooks, StageSettings, StageSink, StageStats } from './stages.js';

/** Messages to the stage thread. */
export type ToStages =
  | { readonly kind: 'batch'; readonly rows: string }
  | { readonly kind: 'drops'; readonly count: number }
  | { readonly kind: 'prune' }
  | { readonly kind: 'close' };

/** Messages from the stage thread. */
export type FromStages =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly count: number; readonly lost: number; readonly stats: StageStats }
  | { readonly kind: 'alerts'; readonly alerts: readonly AlertState[] }
  | { readonly kind: 'closed' };

export interface StageWorkerData {
  readonly settings: StageSettings;
  readonly logLevel: string;
}

const RESTART_DELAY_MS = 1000;

/** Whether the stages get their own thread: `auto` when the process may run on more than one CPU. */
export function wantsStageThread(mode: StoreConfig['thread']): boolean {
  return mode === 'always' || (mode === 'auto' && availableParallelism() > 1);
}

export class StageThread implements StageSink {
  private worker: Worker;
  private inFlight = 0;
  private closing = false;
  /** False between an unexpected exit and the restart. */
  private live = true;
  /** Drop counts reported while the thread was down: recorded by the next thread. */
  private dropsWhileDown = 0;
  /** Updated in place from each acknowledgement: metrics hold on to these objects. */
  private readonly queryLogStats = { lagMs: 0, written: 0 };
  private readonly hitStats = { failures: 0 };
  private readonly storeState = { writable: true, cause: null as string | null };

  private constructor(
    private readonly data: StageWorkerData,
    private readonly log: Logger,
    private readonly handlers: StageHooks,
    first: Worker,
  ) {
    this.worker = first;
    this.attach(first);
  }

  /** Resolves once the thread has opened the database and seeded detection. */
  static async start(settings: StageSettings, log: Logger, handlers: StageHooks): Promise<StageThread> {
    const data: StageWorkerData = { settings, logLevel: log.level };
    const worker = await spawn(data);
    return new StageThread(data, log, handlers, worker);
  }

  get backlog(): number {
    return this.inFlight;
  }

  /** False while a thread that died is being replaced. */
  get running(): boolean {
    return this.live;
  }

  get queryLog(): StageStats['queryLog'] {
    return this.data.settings.store.queryLog ? this.queryLogStats : undefined;
  }

  get allowlistHits(): StageStats['allowlistHits'] {
    return this.data.settings.store.allowlistHits ? this.hitStats : undefined;
  }

  get store(): StageStats['store'] {
    return this.storeState;
  }

  consume(batch: readonly QueryEvent[]): void {
    if (batch.length === 0) return;
    // a message to the exited thread would vanish: between exit and restart the rows are lost, and counted
    if (!this.live) {
      this.handlers.onLost(batch.length);
      return;
    }
    this.inFlight += batch.length;
    this.post({ kind: 'batch', rows: encodeRows(batch) });
  }

  recordDrops(count: number): void {
    if (this.live) this.post({ kind: 'drops', count });
    else this.dropsWhileDown += count;
  }

  prune(): void {
    if (this.live) this.post({ kind: 'prune' });
  }

  /** Lets the thread finish every batch posted, then waits for it to exit. */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.live) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.post({ kind: 'close' });
    await exited;
  }

  private post(message: ToStages): void {
    this.worker.postMessage(message);
  }

  private attach(worker: Worker): void {
    worker.on('message', (message: FromStages) => {
      if (message.kind === 'done') {
        this.inFlight -= message.count;
        if (message.lost > 0) this.handlers.onLost(message.lost);
        Object.assign(this.queryLogStats, message.stats.queryLog);
        Object.assign(this.hitStats, message.stats.allowlistHits);
        Object.assign(this.storeState, message.stats.store);
      } else if (message.kind === 'alerts') {
        this.handlers.onAlerts(message.alerts);
      }
    });
    worker.on('error', (error) => this.log.error({ err: error }, 'stage thread failed'));
    worker.once('exit', (code) => {
      this.live = false;
      if (this.closing) return;
      // its unprocessed batches are gone: count them as dropped, then start a new thread
      const lost = this.inFlight;
      this.inFlight = 0;
      this.log.error({ code, lost }, 'stage thread exited; restarting it');
      this.handlers.onLost(lost);
      setTimeout(() => void this.restart(), RESTART_DELAY_MS).unref();
    });
  }

  private async restart(): Promise<void> {
    try {
      const worker = await spawn(this.data);
      if (this.closing) {
        await worker.terminate();
        return;
      }
      this.worker = worker;
      this.live = true;
      this.attach(worker);
      if (this.dropsWhileDown > 0) {
        this.post({ kind: 'drops', count: this.dropsWhileDown });
        this.dropsWhileDown = 0;
      }
    } catch (error) {
      this.log.error({ err: error }, 'stage thread could not restart; retrying');
      setTimeout(() => void this.restart(), RESTART_DELAY_MS).unref();
    }
  }
}

/**
 * Starts the worker and waits for its `ready`. The worker runs TypeScript like the rest of dnsward: a checkout
 * and the image run the .ts sources through tsx, registered in the worker before its entry is imported.
 */
function spawn(data: StageWorkerData): Promise<Worker> {
  const entry = new URL(`./stage-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)
    .href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  const worker = new Worker(boot, { eval: true, workerData: data });
  return new Promise((resolve, reject) => {
    const failed = (error: unknown): void =>
      reject(error instanceof Error ? error : new Error(String(error)));
    const exited = (code: number): void =>
      failed(new Error(`stage thread exited with code ${code} while starting`));
    worker.once('error', failed);
    worker.once('exit', exited);
    worker.once('message', (message: FromStages) => {
      worker.off('error', failed);
      worker.off('exit', exited);
      if (message.kind === 'ready') resolve(worker);
      else failed(new Error(`stage thread sent ${message.kind} before ready`));
    });
  });
}
