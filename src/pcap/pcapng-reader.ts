// pcapng files: sections of either byte order, interfaces with their own link type and timestamp unit.
import { CaptureFormatError, type ChunkedFile, type RawFrame } from './capture-file.js';

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 1;
const BLOCK_PB = 2; // obsolete Packet Block, still written by old tools
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

interface Interface {
  readonly linkType: number;
  readonly snapLength: number;
  /** Timestamp ticks per second: 10^n or 2^n from if_tsresol (default 10^6). */
  readonly ticksPerSecond: number;
  /** if_tsoffset, in milliseconds. */
  readonly offsetMs: number;
}

/** A block's bytes with the section's byte order. */
class Block {
  constructor(
    readonly bytes: Buffer,
    readonly littleEndian: boolean,
  ) {}

  u16(at: number): number {
    return this.littleEndian ? this.bytes.readUInt16LE(at) : this.bytes.readUInt16BE(at);
  }

  u32(at: number): number {
    return this.littleEndian ? this.bytes.readUInt32LE(at) : this.bytes.readUInt32BE(at);
  }
}

/**
 * Frames of a pcapng file in file order, in batches of what one read buffer holds (one await per
 * batch, not per frame). Throws CaptureFormatError where the file breaks, after yielding every
 * frame before that point.
 */
export async function* readPcapngFrames(file: ChunkedFile): AsyncGenerator<RawFrame[]> {
  let littleEndian = true;
  let inSection = false;
  let interfaces: Interface[] = [];
  let frame = 0;
  let lastTs = 0;
  let batch: RawFrame[] = [];
  for (;;) {
    const blockOffset = file.offset;
    if (file.available < 12) {
      if (batch.length > 0) yield batch;
      batch = [];
      if (!(await file.ensure(12))) {
        if (file.available === 0) return;
        throw new CaptureFormatError(blockOffset, `truncated block header: ${file.available} of 12 bytes`);
      }
    }
    const head = file.peek(12);
    const type = littleEndian ? head.readUInt32LE(0) : head.readUInt32BE(0);
    let length = littleEndian ? head.readUInt32LE(4) : head.readUInt32BE(4);
    let problem: string | undefined;
    if (type === BLOCK_SHB) {
      // the byte-order magic decides how this section, including this block's length, is read
      if (head.readUInt32LE(8) === BYTE_ORDER_MAGIC) littleEndian = true;
      else if (head.readUInt32BE(8) === BYTE_ORDER_MAGIC) littleEndian = false;
      else problem = 'section header block with a bad byte-order magic';
      length = littleEndian ? head.readUInt32LE(4) : head.readUInt32BE(4);
      inSection = true;
      interfaces = [];
    } else if (!inSection) {
      problem = 'not a pcapng file (no section header block)';
    }
    if (problem === undefined && (length < 12 || length % 4 !== 0 || length > MAX_BLOCK_BYTES)) {
      problem = `corrupt block: total length ${length}`;
    }
    if (problem !== undefined) {
      if (batch.length > 0) yield batch;
      throw new CaptureFormatError(blockOffset, problem);
    }
    if (file.available < length) {
      if (batch.length > 0) yield batch;
      batch = [];
      if (!(await file.ensure(length))) {
        throw new CaptureFormatError(
          blockOffset,
          `truncated block (type ${type}): ${file.available} of ${length} bytes (frame ${frame + 1})`,
        );
      }
    }
    const block = new Block(file.take(length), littleEndian);
    let packet: RawFrame | undefined;
    try {
      packet = readBlock(block, type, interfaces, frame + 1, lastTs);
    } catch (err) {
      if (batch.length > 0) yield batch;
      throw err instanceof BlockError ? new CaptureFormatError(blockOffset, err.message) : err;
    }
    if (packet) {
      frame = packet.frame;
      lastTs = packet.ts;
      batch.push(packet);
    }
  }
}

/** A block that cannot be read; the caller adds the offset. */
class BlockError extends Error {}

/** Interprets one whole block: records an interface, or returns the packet it holds. */
function readBlock(
  block: Block,
  type: number,
  interfaces: Interface[],
  frame: number,
  lastTs: number,
): RawFrame | undefined {
  const length = block.bytes.length;
  if (block.u32(length - 4) !== length)
    throw new BlockError(`corrupt block: trailing length differs from ${length}`);
  switch (type) {
    case BLOCK_SHB:
      if (length < 28 || block.u16(12) !== 1)
        throw new BlockError('unsupported section header (major version not 1)');
      return undefined;
    case BLOCK_IDB:
      if (length < 20) throw new BlockError('interface description block too short');
      interfaces.push(readInterface(block));
      return undefined;
    case BLOCK_EPB:
    case BLOCK_PB: {
      if (length < 32) throw new BlockError('packet block too short');
      const id = type === BLOCK_EPB ? block.u32(8) : block.u16(8);
      const iface = interfaces[id];
      if (!iface) throw new BlockError(`packet on undeclared interface ${id}`);
      const captured = block.u32(20);
      if (28 + captured > length - 4)
        throw new BlockError(`corrupt packet block: captured length ${captured}`);
      return {
        frame,
        ts: ticksToMs(block.u32(12), block.u32(16), iface),
        linkType: iface.linkType,
        data: block.bytes.subarray(28, 28 + captured),
        wireLength: Math.max(block.u32(24), captured),
      };
    }
    case BLOCK_SPB: {
      const iface = interfaces[0];
      if (!iface) throw new BlockError('simple packet block before any interface');
      if (length < 16) throw new BlockError('simple packet block too short');
      const wire = block.u32(8);
      let captured = Math.min(wire, length - 16);
      if (iface.snapLength > 0) captured = Math.min(captured, iface.snapLength);
      // an SPB has no timestamp: keep the clock where the previous packet left it
      return {
        frame,
        ts: lastTs,
        linkType: iface.linkType,
        data: block.bytes.subarray(12, 12 + captured),
        wireLength: wire,
      };
    }
    default:
      // name resolution, statistics, decryption secrets, custom blocks: nothing DNS needs
      return undefined;
  }
}

function readInterface(block: Block): Interface {
  let ticksPerSecond = 1e6;
  let offsetMs = 0;
  const end = block.bytes.length - 4;
  for (let at = 16; at + 4 <= end;) {
    const code = block.u16(at);
    const len = block.u16(at + 2);
    if (code === OPT_END || at + 4 + len > end) break;
    if (code === OPT_IF_TSRESOL && len >= 1) {
      const resol = block.bytes[at + 4] ?? 6;
      const exponent = resol & 0x7f;
      ticksPerSecond = resol & 0x80 ? 2 ** exponent : 10 ** exponent;
    } else if (code === OPT_IF_TSOFFSET && len >= 8) {
      const seconds = block.littleEndian
        ? block.bytes.readBigInt64LE(at + 4)
        : block.bytes.readBigInt64BE(at + 4);
      offsetMs = Number(seconds) * 1000;
    }
    at += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { linkType: block.u16(8), snapLength: block.u32(12), ticksPerSecond, offsetMs };
}

/** Exact to the microsecond for every resolution: whole seconds and the remainder are split first. */
function ticksToMs(high: number, low: number, iface: Interface): number {
  const perSecond = iface.ticksPerSecond;
  if (high < 0x200000) {
    const ticks = high * 0x100000000 + low; // below 2^53: exact as a double
    const rest = ticks % perSecond;
    return ((ticks - rest) / perSecond) * 1000 + (rest * 1000) / perSecond + iface.offsetMs;
  }
  const ticks = (BigInt(high) << 32n) | BigInt(low);
  const unit = BigInt(perSecond);
  return Number(ticks / unit) * 1000 + (Number(ticks % unit) * 1000) / perSecond + iface.offsetMs;
}
