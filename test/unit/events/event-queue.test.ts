// The hand-off between the answer path and the stages: batches in order, capacity counted with the stages'
// backlog, every drop reported, close waits for consumers that finish asynchronously.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventConsumer } from '../../../src/model/event-consumer.js';
import { EventQueue } from '../../../src/events/event-queue.js';
import type { QueryEvent } from '../../../src/model/query-event.js';
import { event, T0 } from '../detect/scenario.js';

function recorder(): EventConsumer & { batches: number[][] } {
  const batches: number[][] = [];
  return { batches, consume: (batch: readonly QueryEvent[]) => batches.push(batch.map((e) => e.ts - T0)) };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('EventQueue', () => {
  it('delivers full batches one per turn of the event loop, in arrival order', async () => {
    const consumer = recorder();
    const queue = new EventQueue([consumer], { capacity: 100, batchSize: 3, flushIntervalMs: 10_000 });
    for (let i = 0; i < 7; i++) queue.offer(event({ ts: T0 + i }));
    assert.deepEqual(consumer.batches, []);
    await tick();
    assert.deepEqual(consumer.batches, [[0, 1, 2]]);
    await tick();
    assert.deepEqual(consumer.batches, [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    await queue.close();
    assert.deepEqual(consumer.batches.at(-1), [6]);
  });

  it('counts what consumers still hold against the capacity, and reports every drop once', async () => {
    const consumer = recorder();
    let downstream = 0;
    const reported: number[] = [];
    const queue = new EventQueue([consumer], {
      capacity: 10,
      batchSize: 100,
      flushIntervalMs: 10_000,
      downstream: () => downstream,
      onDrops: (n) => reported.push(n),
    });
    downstream = 8;
    for (let i = 0; i < 5; i++) queue.offer(event({ ts: T0 + i }));
    assert.equal(queue.backlog, 10);
    assert.equal(queue.dropped, 3);
    queue.countDrops(4);
    assert.equal(queue.dropped, 7);
    await queue.close();
    assert.deepEqual(reported, [7]);
    assert.deepEqual(consumer.batches, [[0, 1]]);
  });

  it('close waits for a consumer that finishes asynchronously', async () => {
    let finished = false;
    const queue = new EventQueue(
      [
        {
          consume: () => undefined,
          close: async () => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            finished = true;
          },
        },
      ],
      { capacity: 10, batchSize: 10, flushIntervalMs: 10 },
    );
    queue.offer(event());
    await queue.close();
    assert.equal(finished, true);
  });

  it("M1: one agent's flood loses its own events first; another agent's events all get through", async () => {
    const seen: QueryEvent[] = [];
    const queue = new EventQueue([{ consume: (batch) => seen.push(...batch) }], {
      capacity: 1000,
      batchSize: 500,
      flushIntervalMs: 10_000,
    });
    // 20,000 events from the flooder arrive before the consumer runs; one in 100 is the other agent's
    for (let i = 0; i < 20_000; i++) {
      const quiet = i % 100 === 0;
      queue.offer(event({ ts: T0 + i / 100, agentId: quiet ? 'quiet-agent' : 'flooder' }));
    }
    await queue.close();
    assert.equal(seen.filter((e) => e.agentId === 'quiet-agent').length, 200);
    assert.ok(queue.dropped > 18_000, `${queue.dropped} dropped`);
    assert.equal(queue.offered, seen.length + queue.dropped, 'every drop is counted');
  });
});
