// Entry point: streams a pcap or pcapng file into DNS and TLS-evidence records plus read statistics.
import { DnswardError } from '../errors.js';
import {
  CaptureFormatError,
  ChunkedFile,
  DEFAULT_CHUNK_SIZE,
  detectFormat,
  type RawFrame,
} from './capture-file.js';
import { DEFAULT_DNS_PORTS, PacketDecoder } from './packet-decoder.js';
import { readPcapFrames } from './pcap-reader.js';
import { readPcapngFrames } from './pcapng-reader.js';
import { emptyStats, type CapturedRecord, type ReadOptions, type ReadStats } from './records.js';

export interface CaptureRead {
  /** Single use. Ends normally at end of file and also at a truncated or corrupt spot (see stats.error). */
  readonly records: AsyncIterable<CapturedRecord>;
  /** Updated while records are consumed; final once the iteration is done. */
  readonly stats: ReadStats;
}

/**
 * Reads `path` (classic pcap or pcapng, told apart by magic bytes) in chunks: memory stays bounded
 * whatever the file size. A file that cannot be opened throws DnswardError DNSWARD_ERR_PCAP from the
 * iteration; a file that is not a capture, or breaks part way, ends the iteration and sets
 * `stats.error` with the byte offset, after every record before that point was yielded.
 */
export function readCapture(path: string, options: ReadOptions = {}): CaptureRead {
  const stats = emptyStats();
  return { records: generateRecords(path, options, stats), stats };
}

async function* generateRecords(
  path: string,
  options: ReadOptions,
  stats: ReadStats,
): AsyncGenerator<CapturedRecord> {
  let file: ChunkedFile;
  try {
    file = await ChunkedFile.open(path, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new DnswardError('DNSWARD_ERR_PCAP', `cannot open capture ${path}: ${reason}`, [], { cause: err });
  }
  try {
    const decoder = new PacketDecoder(options.ports ?? DEFAULT_DNS_PORTS, stats);
    try {
      for await (const batch of await openFrames(file, stats)) {
        for (const frame of batch) {
          stats.frames++;
          for (const record of decoder.decode(frame)) yield record;
        }
      }
    } catch (err) {
      if (!(err instanceof CaptureFormatError)) throw err;
      stats.error = { offset: err.offset, message: err.message };
    }
    stats.bytes = stats.error?.offset ?? file.offset;
    for (const record of decoder.finish()) yield record;
  } finally {
    await file.close();
  }
}

/** The frame batches of the file, read by the reader its magic bytes call for. */
async function openFrames(file: ChunkedFile, stats: ReadStats): Promise<AsyncIterable<RawFrame[]>> {
  const format = (await file.ensure(4)) ? detectFormat(file.peek(4)) : undefined;
  if (format === undefined) {
    const magic = file.peek(4).toString('hex');
    throw new CaptureFormatError(0, `not a pcap or pcapng file (first bytes ${magic || 'missing'})`);
  }
  stats.format = format;
  return format === 'pcap' ? readPcapFrames(file) : readPcapngFrames(file);
}
