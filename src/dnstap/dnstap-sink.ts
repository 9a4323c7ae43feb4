// The dnstap exporter: exchanges from the answer path into a bounded buffer, encoded and written later, with
// drops counted and the connection re-opened with backoff. Nothing here runs before an answer is sent.
import { hostname } from 'node:os';
import type { DnstapConfig } from '../config/sections/dnstap.js';
import { Backoff } from '../lib/backoff.js';
import type { Logger } from '../log/logger.js';
import type { ClientExchange, DnsTap, ForwarderExchange } from '../model/dns-tap.js';
import {
  clientMessages,
  DNSTAP_CONTENT_TYPE,
  forwarderMessages,
  type DnstapIdentity,
} from './dnstap-message.js';
import { FrameStreamWriter, type FrameTarget } from './frame-stream-writer.js';
import { dataFrames } from './frame-streams.js';

type Item =
  | { readonly kind: 'client'; readonly e: ClientExchange }
  | { readonly kind: 'forwarder'; readonly e: ForwarderExchange };

/** Exchanges encoded and written per turn of the event loop. */
const BATCH = 256;
const FIRST_RETRY_MS = 100;

export interface DnstapStats {
  /** dnstap messages written to the stream. */
  readonly written: number;
  /** dnstap messages lost: buffer full, a failed write, or still buffered at shutdown. */
  readonly dropped: number;
  readonly connected: boolean;
}

export class DnstapSink implements DnsTap, DnstapStats {
  written = 0;
  dropped = 0;
  private pending: Item[] = [];
  private head = 0;
  private writer: FrameStreamWriter | undefined;
  private stalled = false;
  private scheduled = false;
  private readonly retry: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly id: DnstapIdentity;
  private readonly target: FrameTarget;

  constructor(
    private readonly config: DnstapConfig,
    private readonly log: Logger,
  ) {
    this.id = { identity: config.identity ?? hostname(), version: config.version };
    this.target = targetOf(config);
    this.retry = new Backoff({ baseMs: FIRST_RETRY_MS, maxMs: config.reconnectMaxMs });
  }

  get connected(): boolean {
    return this.writer?.isReady ?? false;
  }

  /** Exchanges waiting to be written. */
  get backlog(): number {
    return this.pending.length - this.head;
  }

  start(): void {
    this.connect();
  }

  client(e: ClientExchange): void {
    this.offer({ kind: 'client', e });
  }

  forwarder(e: ForwarderExchange): void {
    this.offer({ kind: 'forwarder', e });
  }

  /** Writes what is buffered (when connected), sends STOP (and waits for FINISH); the rest counts as dropped. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    while (this.connected && !this.stalled && this.backlog > 0) this.flush();
    for (let i = this.head; i < this.pending.length; i++) this.dropped += messages(this.pending[i]);
    this.pending = [];
    this.head = 0;
    await this.writer?.close();
  }

  private offer(item: Item): void {
    if (this.closing || this.backlog >= this.config.bufferSize) {
      this.dropped += messages(item);
      return;
    }
    this.pending.push(item);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || !this.connected || this.stalled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
      if (this.backlog > 0) this.schedule();
    });
  }

  /** Encodes and writes one batch. */
  private flush(): void {
    const writer = this.writer;
    if (!writer?.isReady || this.backlog === 0) return;
    const end = Math.min(this.pending.length, this.head + BATCH);
    const payloads: Uint8Array[] = [];
    for (let i = this.head; i < end; i++) {
      const item = this.pending[i];
      if (item === undefined) continue;
      payloads.push(
        ...(item.kind === 'client' ? clientMessages(item.e, this.id) : forwarderMessages(item.e, this.id)),
      );
    }
    this.head = end;
    if (this.head === this.pending.length) {
      this.pending = [];
      this.head = 0;
    } else if (this.head > 4096) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    const count = payloads.length;
    const more = writer.write(dataFrames(payloads), (error) => {
      if (error) this.dropped += count;
      else this.written += count;
    });
    if (!more) this.stalled = true;
  }

  private connect(): void {
    const writer = new FrameStreamWriter(this.target, DNSTAP_CONTENT_TYPE, {
      onReady: () => {
        this.retry.reset();
        this.stalled = false;
        this.log.info({ target: describe(this.target) }, 'dnstap: connected');
        this.schedule();
      },
      onDrain: () => {
        this.stalled = false;
        this.schedule();
      },
      onDown: (error) => {
        if (this.writer !== writer || this.closing) return;
        const retryMs = this.retry.next();
        this.log.warn({ target: describe(this.target), err: error.message, retryMs }, 'dnstap: output down');
        this.retryTimer = setTimeout(() => this.connect(), retryMs);
        this.retryTimer.unref();
      },
    });
    this.writer = writer;
    this.stalled = false;
    writer.open();
  }
}

/** dnstap messages one exchange makes (query, and response when there is one). */
function messages(item: Item | undefined): number {
  if (item === undefined) return 0;
  return item.e.response === null ? 1 : 2;
}

function targetOf(config: DnstapConfig): FrameTarget {
  if (config.unix !== undefined) return { kind: 'unix', path: config.unix };
  if (config.tcp !== undefined) return { kind: 'tcp', host: config.tcp.host, port: config.tcp.port };
  return { kind: 'file', path: config.file ?? 'dnsward.dnstap' };
}

function describe(target: FrameTarget): string {
  return target.kind === 'tcp' ? `tcp:${target.host}:${target.port}` : `${target.kind}:${target.path}`;
}
