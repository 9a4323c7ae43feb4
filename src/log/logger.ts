// The root pino logger (stderr, so stdout stays free for NDJSON output); areas take child({ component }).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'dnsward' } }, pino.destination({ fd: 2, sync: false }));
}
