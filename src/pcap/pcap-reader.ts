// Classic libpcap files: both byte orders, microsecond and nanosecond timestamps.
import { CaptureFormatError, type ChunkedFile, type RawFrame } from './capture-file.js';

const FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
/** Far above any snap length; a larger record length means the field is garbage. */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;

interface PcapHeader {
  readonly littleEndian: boolean;
  readonly nanoseconds: boolean;
  readonly linkType: number;
}

function readHeader(bytes: Buffer): PcapHeader {
  const le = bytes.readUInt32LE(0);
  const be = bytes.readUInt32BE(0);
  const littleEndian = le === 0xa1b2c3d4 || le === 0xa1b23c4d;
  if (!littleEndian && be !== 0xa1b2c3d4 && be !== 0xa1b23c4d) {
    throw new CaptureFormatError(0, `not a pcap file (magic 0x${be.toString(16).padStart(8, '0')})`);
  }
  const magic = littleEndian ? le : be;
  return {
    littleEndian,
    nanoseconds: magic === 0xa1b23c4d,
    // the upper bits of the link-type field carry FCS information (pcap-linktype(7))
    linkType: (littleEndian ? bytes.readUInt32LE(20) : bytes.readUInt32BE(20)) & 0xffff,
  };
}

/**
 * Frames of a classic pcap file in file order, in batches of what one read buffer holds (one
 * await per batch, not per frame). Throws CaptureFormatError where the file breaks, after
 * yielding every frame before that point.
 */
export async function* readPcapFrames(file: ChunkedFile): AsyncGenerator<RawFrame[]> {
  if (!(await file.ensure(FILE_HEADER_BYTES))) {
    throw new CaptureFormatError(file.offset, 'pcap file header truncated');
  }
  const header = readHeader(file.take(FILE_HEADER_BYTES));
  const fractionToMs = header.nanoseconds ? 1e-6 : 1e-3;
  const le = header.littleEndian;
  let frame = 0;
  let batch: RawFrame[] = [];
  for (;;) {
    const recordOffset = file.offset;
    if (file.available < RECORD_HEADER_BYTES) {
      if (batch.length > 0) yield batch;
      batch = [];
      if (!(await file.ensure(RECORD_HEADER_BYTES))) {
        if (file.available === 0) return;
        throw new CaptureFormatError(
          recordOffset,
          `truncated packet record header: ${file.available} of ${RECORD_HEADER_BYTES} bytes`,
        );
      }
    }
    const rec = file.peek(RECORD_HEADER_BYTES);
    const captured = le ? rec.readUInt32LE(8) : rec.readUInt32BE(8);
    if (captured > MAX_RECORD_BYTES) {
      if (batch.length > 0) yield batch;
      throw new CaptureFormatError(recordOffset, `corrupt packet record: captured length ${captured}`);
    }
    if (file.available < RECORD_HEADER_BYTES + captured) {
      if (batch.length > 0) yield batch;
      batch = [];
      if (!(await file.ensure(RECORD_HEADER_BYTES + captured))) {
        throw new CaptureFormatError(
          recordOffset,
          `truncated packet record: ${file.available - RECORD_HEADER_BYTES} of ${captured} data bytes (frame ${frame + 1})`,
        );
      }
    }
    const head = file.take(RECORD_HEADER_BYTES);
    const seconds = le ? head.readUInt32LE(0) : head.readUInt32BE(0);
    const fraction = le ? head.readUInt32LE(4) : head.readUInt32BE(4);
    const wire = le ? head.readUInt32LE(12) : head.readUInt32BE(12);
    frame++;
    batch.push({
      frame,
      ts: seconds * 1000 + fraction * fractionToMs,
      linkType: header.linkType,
      data: file.take(captured),
      wireLength: Math.max(wire, captured),
    });
  }
}
