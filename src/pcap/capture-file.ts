// Chunked reading of a capture file through one file handle, and format detection by magic bytes.
import { open, type FileHandle } from 'node:fs/promises';

export const DEFAULT_CHUNK_SIZE = 1 << 20;

/** One captured frame as stored in the file, before any protocol decoding. */
export interface RawFrame {
  /** 1-based position in the file, counting every packet record (tshark's frame.number). */
  readonly frame: number;
  /** Epoch milliseconds. */
  readonly ts: number;
  readonly linkType: number;
  /** Captured bytes: a view into a read buffer; copy what you keep. */
  readonly data: Buffer;
  /** Length on the wire; more than data.length when the snap length cut the frame. */
  readonly wireLength: number;
}

/** The file is truncated or corrupt at `offset`; what came before it was good. */
export class CaptureFormatError extends Error {
  readonly offset: number;

  constructor(offset: number, message: string) {
    super(`${message} (at byte offset ${offset})`);
    this.name = 'CaptureFormatError';
    this.offset = offset;
  }
}

export type CaptureFormat = 'pcap' | 'pcapng';

/** Recognises classic pcap (both byte orders, micro/nano) and pcapng from the first four bytes. */
export function detectFormat(magic: Buffer): CaptureFormat | undefined {
  if (magic.length < 4) return undefined;
  const le = magic.readUInt32LE(0);
  if (le === 0x0a0d0d0a) return 'pcapng';
  if (le === 0xa1b2c3d4 || le === 0xa1b23c4d) return 'pcap';
  const be = magic.readUInt32BE(0);
  if (be === 0xa1b2c3d4 || be === 0xa1b23c4d) return 'pcap';
  return undefined;
}

/**
 * A forward-only cursor over a file, reading `chunkSize` bytes at a time. Views returned by `take`
 * stay valid (each refill uses a fresh buffer), but they pin their chunk: copy what you keep.
 */
export class ChunkedFile {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private fileOffset = 0;
  private eof = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly chunkSize: number,
  ) {}

  static async open(path: string, chunkSize = DEFAULT_CHUNK_SIZE): Promise<ChunkedFile> {
    return new ChunkedFile(await open(path, 'r'), Math.max(4096, chunkSize));
  }

  /** File offset of the cursor. */
  get offset(): number {
    return this.fileOffset - (this.buf.length - this.pos);
  }

  /** Bytes buffered past the cursor. */
  get available(): number {
    return this.buf.length - this.pos;
  }

  /** Makes `n` bytes available at the cursor; false when the file ends first. */
  async ensure(n: number): Promise<boolean> {
    while (this.available < n) {
      if (this.eof) return false;
      const keep = this.available;
      const next = Buffer.allocUnsafe(Math.max(this.chunkSize, n));
      this.buf.copy(next, 0, this.pos);
      const { bytesRead } = await this.handle.read(next, keep, next.length - keep, this.fileOffset);
      if (bytesRead === 0) this.eof = true;
      this.fileOffset += bytesRead;
      this.buf = next.subarray(0, keep + bytesRead);
      this.pos = 0;
    }
    return true;
  }

  /** The next `n` bytes without advancing; call `ensure(n)` first. */
  peek(n: number): Buffer {
    return this.buf.subarray(this.pos, this.pos + n);
  }

  /** The next `n` bytes, advancing past them; call `ensure(n)` first. */
  take(n: number): Buffer {
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
