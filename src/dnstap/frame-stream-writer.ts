// One Frame Streams output: a file (unidirectional: START ... STOP) or a unix/TCP socket (READY/ACCEPT/START
// handshake, STOP/FINISH on close). Reports when it can take data; the sink decides what to do meanwhile.
import { createWriteStream, type WriteStream } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { CONTROL, ControlReader, controlFrame } from './frame-streams.js';

export type FrameTarget =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** How long close() waits for the reader's FINISH. */
const FINISH_TIMEOUT_MS = 2000;

export interface FrameWriterEvents {
  /** Handshake done: data frames may be written. */
  readonly onReady: () => void;
  /** The connection is gone (error, closed by the reader, bad handshake). */
  readonly onDown: (error: Error) => void;
  /** A write that had been stalled by back-pressure has drained. */
  readonly onDrain: () => void;
}

export class FrameStreamWriter {
  private stream: Socket | WriteStream | undefined;
  private ready = false;
  private down = false;
  private finished: (() => void) | undefined;

  constructor(
    private readonly target: FrameTarget,
    private readonly contentType: string,
    private readonly events: FrameWriterEvents,
  ) {}

  get isReady(): boolean {
    return this.ready && !this.down;
  }

  open(): void {
    if (this.target.kind === 'file') {
      const file = createWriteStream(this.target.path, { flags: 'w' });
      this.stream = file;
      file.on('error', (error) => this.fail(error));
      file.on('drain', () => this.events.onDrain());
      file.write(controlFrame(CONTROL.START, this.contentType));
      this.ready = true;
      queueMicrotask(() => this.events.onReady());
      return;
    }
    const socket =
      this.target.kind === 'unix'
        ? connect({ path: this.target.path })
        : connect({ host: this.target.host, port: this.target.port });
    this.stream = socket;
    const reader = new ControlReader();
    socket.on('connect', () => socket.write(controlFrame(CONTROL.READY, this.contentType)));
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const message of reader.push(chunk)) this.control(socket, message.type, message.contentTypes);
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.on('drain', () => this.events.onDrain());
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('frame streams: connection closed by the reader')));
  }

  /** Writes data frames; false when the stream wants a pause ('drain' follows). `done` gets a write error. */
  write(frames: Buffer, done: (error: Error | null | undefined) => void): boolean {
    if (!this.stream || !this.isReady) {
      done(new Error('frame streams: not ready'));
      return false;
    }
    return this.stream.write(frames, done);
  }

  /** STOP, then (sockets) waits for FINISH, bounded; the stream is ended either way. */
  async close(): Promise<void> {
    const stream = this.stream;
    if (!stream || this.down) {
      stream?.destroy();
      return;
    }
    this.down = true;
    if (!this.ready) {
      stream.destroy();
      return;
    }
    stream.write(controlFrame(CONTROL.STOP));
    if (this.target.kind !== 'file') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FINISH_TIMEOUT_MS);
        this.finished = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await new Promise<void>((resolve) => stream.end(resolve));
    stream.destroy();
  }

  private control(socket: Socket, type: number, contentTypes: readonly string[]): void {
    if (type === CONTROL.ACCEPT && !this.ready) {
      if (contentTypes.length > 0 && !contentTypes.includes(this.contentType)) {
        this.fail(
          new Error(`frame streams: reader accepts ${contentTypes.join(', ')}, not ${this.contentType}`),
        );
        return;
      }
      socket.write(controlFrame(CONTROL.START, this.contentType));
      this.ready = true;
      this.events.onReady();
    } else if (type === CONTROL.FINISH) {
      this.finished?.();
    }
  }

  private fail(error: Error): void {
    if (this.finished) {
      this.finished();
      return;
    }
    if (this.down) return;
    this.down = true;
    this.stream?.destroy();
    this.events.onDown(error);
  }
}
