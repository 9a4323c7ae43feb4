// Garbage in: mutated and random frames never throw, and a garbled file ends with an error, not a crash.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { LINKTYPE } from '../../../src/pcap/link-layer.js';
import { pcapFile, tempCapture, type Packet } from './capture-builder.js';
import { readAll } from './tshark-compare.js';

const FIXTURE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../fixtures/pcap-reader/lo-ethernet.pcap',
);

/** xorshift32: the same "random" bytes on every run. */
function prng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/** The frames of the real fixture, each with a few bytes overwritten. */
function mutatedFrames(random: () => number): Packet[] {
  const bytes = readFileSync(FIXTURE);
  const out: Packet[] = [];
  for (let at = 24; at + 16 <= bytes.length; at += 16 + bytes.readUInt32LE(at + 8)) {
    const data = Buffer.from(bytes.subarray(at + 16, at + 16 + bytes.readUInt32LE(at + 8)));
    for (let i = 0; i < 3; i++) data[Math.floor(random() * data.length)] = Math.floor(random() * 256);
    out.push({ seconds: bytes.readUInt32LE(at), nanos: 0, data });
  }
  return out;
}

describe('robustness', () => {
  const linkTypes = Object.values(LINKTYPE);

  it('mutated real frames under every link type: no exception, no file error', async () => {
    const random = prng(0x5eed);
    for (let round = 0; round < 20; round++) {
      for (const linkType of linkTypes) {
        const path = tempCapture('fuzz.pcap', pcapFile(mutatedFrames(random), { linkType }));
        const { stats } = await readAll(path, { ports: new Set([53, 853]) });
        assert.equal(stats.error, undefined);
        assert.equal(stats.frames, 82);
      }
    }
  });

  it('random frames: no exception', async () => {
    const random = prng(42);
    const frames: Packet[] = Array.from({ length: 2000 }, () => ({
      seconds: 1,
      nanos: 0,
      data: Buffer.from(Array.from({ length: Math.floor(random() * 120) }, () => Math.floor(random() * 256))),
    }));
    for (const linkType of linkTypes) {
      const { stats } = await readAll(tempCapture('random.pcap', pcapFile(frames, { linkType })));
      assert.equal(stats.frames, 2000);
    }
  });

  it('random bytes after a valid file header end in a reported error at an offset', async () => {
    const random = prng(7);
    const header = readFileSync(FIXTURE).subarray(0, 24);
    for (let i = 0; i < 50; i++) {
      const junk = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(random() * 256)));
      const { stats } = await readAll(tempCapture('junk.pcap', Buffer.concat([header, junk])));
      assert.ok(stats.error, 'junk must be reported');
      assert.ok(stats.error.offset >= 24 && stats.error.offset < 24 + 4096);
    }
  });
});
