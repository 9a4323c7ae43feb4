// Child process for consumer.test.ts: stores the alerts of one tunnel batch, then dies by SIGKILL.
import { detectionSection } from '../../../src/config/sections/detection.js';
import { createDetectionConsumer } from '../../../src/detect/consumer.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tunnel } from './scenario.js';

const store = new SqliteStore(process.argv[2] ?? 'kill-test.db', {
  instance: 'kill',
  retentionMs: 86_400_000,
});
const consumer = await createDetectionConsumer({ alerts: store.alerts, config: detectionSection.parse({}) });
await consumer.consume(tunnel({ zone: 'x.tunnel-example.org', count: 150, intervalMs: 500 }));
process.stdout.write('stored\n');
process.kill(process.pid, 'SIGKILL');
