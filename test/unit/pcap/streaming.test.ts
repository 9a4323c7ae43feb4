// Chunked reading: any buffer size gives the same records, including blocks that straddle chunks.
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ChunkedFile } from '../../../src/pcap/capture-file.js';
import { tempCapture } from './capture-builder.js';
import { readAll } from './tshark-compare.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FILES = [
  join(ROOT, 'fixtures/pcap-reader/lo-ethernet.pcap'),
  join(ROOT, 'fixtures/pcap-reader/any-sll2.pcapng'),
  join(ROOT, 'fixtures/iodine-tunnel.pcap'),
  join(ROOT, 'fixtures/dns2tcp-tunnel.pcap'),
];

describe('streaming reads', () => {
  for (const path of FILES) {
    it(`${path.slice(ROOT.length + 1)}: 4 KiB chunks give the same records and stats as 1 MiB`, async () => {
      const small = await readAll(path, { chunkSize: 4096 });
      const large = await readAll(path);
      assert.deepEqual(small.records, large.records);
      assert.deepEqual(small.stats, large.stats);
    });
  }

  it('a record larger than the chunk is read whole', async () => {
    const path = tempCapture('chunks.bin', Buffer.from(Array.from({ length: 20000 }, (_, i) => i & 0xff)));
    const file = await ChunkedFile.open(path, 4096);
    try {
      assert.ok(await file.ensure(10));
      assert.deepEqual([...file.take(3)], [0, 1, 2]);
      assert.ok(await file.ensure(15000));
      const big = file.take(15000);
      assert.equal(big[0], 3);
      assert.equal(big[14999], 15002 & 0xff);
      assert.equal(file.offset, 15003);
      assert.equal(await file.ensure(5000), false, 'only 4997 bytes remain');
      assert.equal(file.available, 4997);
    } finally {
      await file.close();
    }
  });
});
