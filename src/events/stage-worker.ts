// Entry of the stage thread (see stage-thread.ts): the stages on their own database connection, fed by batches
// of encoded rows; every batch is acknowledged with the stages' counters so the answer thread can bound the backlog.
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../log/logger.js';
import { openConfiguredStore } from '../store/open-store.js';
import { decodeRows } from '../store/query-log-row.js';
import type { FromStages, StageWorkerData, ToStages } from './stage-thread.js';
import { Stages } from './stages.js';

const port = parentPort;
if (port === null) throw new Error('stage-worker runs as a worker thread');
const { settings, logLevel } = workerData as StageWorkerData;
const log = createLogger(logLevel).child({ component: 'stages' });
const send = (message: FromStages): void => port.postMessage(message);

const store = await openConfiguredStore(settings.store);
let lost = 0;
const stages = await Stages.create(store, settings, log, {
  onAlerts: (alerts) => send({ kind: 'alerts', alerts }),
  onLost: (count) => (lost += count),
});

port.on('message', (message: ToStages) => {
  switch (message.kind) {
    case 'batch': {
      const batch = decodeRows(message.rows);
      void stages.consumeEncoded(batch, message.rows).then(() => {
        const { queryLog, allowlistHits, store } = stages;
        send({
          kind: 'done',
          count: batch.length,
          lost,
          stats: {
            queryLog: queryLog && { lagMs: queryLog.lagMs, written: queryLog.written },
            allowlistHits: allowlistHits && { failures: allowlistHits.failures },
            store: { writable: store.writable, cause: store.cause },
          },
        });
        lost = 0;
      });
      break;
    }
    case 'drops':
      stages.recordDrops(message.count);
      break;
    case 'prune':
      stages.prune();
      break;
    case 'close':
      void stages
        .close()
        .then(() => store.close())
        .finally(() => {
          log.flush();
          port.close();
        });
      break;
  }
});
send({ kind: 'ready' });
