// Child process for consumer.test.ts: stores the alerts of one tunnel batch, then dies by SIGKILL.
import { detectionSection } from '../../../src/config/sections/detection.js';
import { createDetectionConsumer } from '../../../src/detect/consumer.js';
import { openDatabase } from '../../../src/store/database.js';
import { tunnel } from './scenario.js';

const db = openDatabase(process.argv[2] ?? 'kill-test.db');
const consumer = createDetectionConsumer({ db, config: detectionSection.parse({}) });
consumer.consume(tunnel({ zone: 'x.tunnel-example.org', count: 150, intervalMs: 500 }));
process.stdout.write('stored\n');
process.kill(process.pid, 'SIGKILL');
