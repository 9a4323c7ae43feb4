// sendLoad as a command, for clients that must run inside a network namespace a test created
// (`ip netns exec NS node --import tsx test/helpers/udp-load-cli.ts PORT COUNT WINDOW`): prints
// {"sent","answered","lost"} as one JSON line.
import { sendLoad } from './udp-load.js';

const [port, count, window] = process.argv.slice(2).map(Number);
const result = await sendLoad({
  port: port ?? 53,
  window: window ?? 128,
  timeoutMs: 20_000,
  deadlineMs: 60_000,
  streams: [{ source: '127.0.0.1', count: count ?? 1000, name: (i) => `q${i}.burst.test` }],
});
const [stream] = result.streams;
process.stdout.write(
  `${JSON.stringify({ sent: stream?.sent ?? 0, answered: stream?.answered ?? 0, lost: stream?.lost ?? 0 })}\n`,
);
