// RFC 7766 framing (L5): frames split anywhere, trickled a byte at a time or packed several per chunk, come out
// whole; a trickled frame is copied once into a buffer allocated when its length is known.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameReader } from '../../../src/dns/tcp-listener.js';

function framed(...messages: Buffer[]): Buffer {
  return Buffer.concat(
    messages.map((m) => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(m.length, 0);
      return Buffer.concat([length, m]);
    }),
  );
}

describe('FrameReader', () => {
  it('L5: a 64 KiB frame trickled one byte at a time comes out whole', () => {
    const message = Buffer.alloc(0xffff, 0x2c);
    const wire = framed(message);
    const reader = new FrameReader();
    const out: (Buffer | null)[] = [];
    for (let i = 0; i < wire.length; i++) out.push(...reader.push(wire.subarray(i, i + 1)));
    assert.equal(out.length, 1);
    assert.deepEqual(out[0], message);
  });

  it('L5: several frames in one chunk, and frames split across chunks, come out in order', () => {
    const a = Buffer.from('first');
    const b = Buffer.from('second message');
    const c = Buffer.from('x');
    const wire = framed(a, b, c);
    for (let cut = 1; cut < wire.length; cut++) {
      const reader = new FrameReader();
      const out = [...reader.push(wire.subarray(0, cut)), ...reader.push(wire.subarray(cut))];
      assert.deepEqual(out, [a, b, c], `cut at ${cut}`);
    }
  });

  it('a zero-length frame is reported as null', () => {
    assert.deepEqual([...new FrameReader().push(Buffer.from([0, 0, 0, 5]))], [null]);
  });
});
