// Truncated and corrupt files: everything before the break is reported, and the error names the offset.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { DnswardError } from '../../../src/errors.js';
import { readCapture } from '../../../src/pcap/read-capture.js';
import type { CapturedRecord } from '../../../src/pcap/records.js';
import { tempCapture } from './capture-builder.js';
import { readAll } from './tshark-compare.js';

const OWN = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/pcap-reader');
const PCAP = join(OWN, 'lo-ethernet.pcap');
const PCAPNG = join(OWN, 'any-sll2.pcapng');

/** Byte offset of each packet record (index = frame - 1) in a little-endian classic pcap. */
function pcapRecordOffsets(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let at = 24; at + 16 <= bytes.length; at += 16 + bytes.readUInt32LE(at + 8)) out.push(at);
  return out;
}

/** Byte offset of each enhanced packet block in a little-endian pcapng. */
function pcapngPacketOffsets(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + 12 <= bytes.length; at += bytes.readUInt32LE(at + 4)) {
    if (bytes.readUInt32LE(at) === 6) out.push(at);
  }
  return out;
}

function before(records: readonly CapturedRecord[], frame: number): CapturedRecord[] {
  return records.filter((r) => r.frame < frame);
}

describe('truncated and corrupt captures', () => {
  const full = readFileSync(PCAP);
  const offsets = pcapRecordOffsets(full);
  const frame = 50; // the frame carrying three pipelined TCP queries; 24 DNS messages come before it

  it('a pcap cut inside a packet: earlier records are all reported, the error names the record offset', async () => {
    const at = offsets[frame - 1] ?? 0;
    const path = tempCapture('cut.pcap', full.subarray(0, at + 16 + 5));
    const { records, stats } = await readAll(path);
    const complete = await readAll(PCAP);
    assert.deepEqual(records, before(complete.records, frame));
    assert.ok(records.length >= 20);
    assert.equal(stats.error?.offset, at);
    assert.match(stats.error.message, new RegExp(`truncated packet record.*byte offset ${at}`));
    assert.equal(stats.frames, frame - 1);
    assert.equal(stats.bytes, at);
  });

  it('a pcap cut inside a record header', async () => {
    const at = offsets[frame - 1] ?? 0;
    const { records, stats } = await readAll(tempCapture('cut.pcap', full.subarray(0, at + 7)));
    assert.deepEqual(records, before((await readAll(PCAP)).records, frame));
    assert.equal(stats.error?.offset, at);
    assert.match(stats.error.message, /truncated packet record header: 7 of 16 bytes/);
  });

  it('a pcap whose record claims an impossible length', async () => {
    const bytes = Buffer.from(full);
    const at = offsets[frame - 1] ?? 0;
    bytes.writeUInt32LE(0xfffffff0, at + 8);
    const { stats } = await readAll(tempCapture('corrupt.pcap', bytes));
    assert.equal(stats.error?.offset, at);
    assert.match(stats.error.message, /corrupt packet record/);
  });

  it('a pcap cut inside its file header', async () => {
    const { records, stats } = await readAll(tempCapture('cut.pcap', full.subarray(0, 10)));
    assert.equal(records.length, 0);
    assert.equal(stats.error?.offset, 0);
    assert.equal(stats.format, 'pcap');
  });

  const ng = readFileSync(PCAPNG);
  const blocks = pcapngPacketOffsets(ng);

  it('a pcapng cut inside a block', async () => {
    const at = blocks[frame - 1] ?? 0;
    const { records, stats } = await readAll(tempCapture('cut.pcapng', ng.subarray(0, at + 30)));
    assert.deepEqual(records, before((await readAll(PCAPNG)).records, frame));
    assert.equal(stats.error?.offset, at);
    assert.match(stats.error.message, /truncated block/);
  });

  it('a pcapng block with a bad total length, and one whose trailing length disagrees', async () => {
    const at = blocks[frame - 1] ?? 0;
    const badLength = Buffer.from(ng);
    badLength.writeUInt32LE(13, at + 4);
    const first = await readAll(tempCapture('bad.pcapng', badLength));
    assert.equal(first.stats.error?.offset, at);
    assert.match(first.stats.error.message, /corrupt block: total length 13/);
    assert.equal(first.stats.frames, frame - 1);

    const badTrailer = Buffer.from(ng);
    const length = ng.readUInt32LE(at + 4);
    badTrailer.writeUInt32LE(length + 4, at + length - 4);
    const second = await readAll(tempCapture('bad.pcapng', badTrailer));
    assert.equal(second.stats.error?.offset, at);
    assert.match(second.stats.error.message, /trailing length/);
  });

  it('a file that is not a capture, and an empty one, stop at offset 0', async () => {
    const text = await readAll(tempCapture('notes.pcap', Buffer.from('hello, this is not a capture\n')));
    assert.equal(text.records.length, 0);
    assert.deepEqual(text.stats.error, {
      offset: 0,
      message: 'not a pcap or pcapng file (first bytes 68656c6c) (at byte offset 0)',
    });
    const empty = await readAll(tempCapture('empty.pcap', Buffer.alloc(0)));
    assert.equal(empty.stats.error?.offset, 0);
    assert.equal(empty.stats.format, 'unknown');
  });

  it('a file that cannot be opened throws DNSWARD_ERR_PCAP', async () => {
    const { records } = readCapture('/nonexistent/dir/capture.pcap');
    await assert.rejects(
      async () => {
        for await (const record of records) assert.fail(`unexpected ${record.kind}`);
      },
      (err: unknown) =>
        err instanceof DnswardError && err.code === 'DNSWARD_ERR_PCAP' && /ENOENT/.test(err.message),
    );
  });
});
