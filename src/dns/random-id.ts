// Unpredictable 16-bit query IDs from a pooled CSPRNG buffer (cache-poisoning defence without a syscall per query).
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let position = pool.length;

export function randomQueryId(): number {
  if (position + 2 > pool.length) {
    randomFillSync(pool);
    position = 0;
  }
  const id = pool.readUInt16BE(position);
  position += 2;
  return id;
}
