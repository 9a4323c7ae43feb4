// Run the real `dig` against a loopback server and read its answer.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DigResult {
  readonly status: string;
  readonly flags: readonly string[];
  /** Answer section records as "name ttl class type data". */
  readonly answers: readonly string[];
  readonly authority: readonly string[];
  readonly raw: string;
}

export interface DigOptions {
  readonly type?: string;
  readonly tcp?: boolean;
  readonly extra?: readonly string[];
}

export async function dig(
  port: number,
  name: string,
  options: DigOptions = {},
  server = '127.0.0.1',
): Promise<DigResult> {
  const args = [`@${server}`, '-p', String(port), name, options.type ?? 'A', '+tries=1', '+time=3'];
  if (options.tcp) args.push('+tcp');
  args.push(...(options.extra ?? []));
  const { stdout } = await run('dig', args, { timeout: 15_000 }).catch((error: unknown) => ({
    stdout: (error as { stdout?: string }).stdout ?? '',
  }));
  return parseDig(stdout);
}

export function parseDig(raw: string): DigResult {
  const status = /status: ([A-Z]+)/.exec(raw)?.[1] ?? 'TIMEOUT';
  const flags = (/;; flags: ([^;]*);/.exec(raw)?.[1] ?? '').split(' ').filter(Boolean);
  return { status, flags, answers: section(raw, 'ANSWER'), authority: section(raw, 'AUTHORITY'), raw };
}

function section(raw: string, name: string): string[] {
  const start = raw.indexOf(`;; ${name} SECTION:`);
  if (start < 0) return [];
  const lines: string[] = [];
  for (const line of raw.slice(start).split('\n').slice(1)) {
    if (line.trim() === '') break;
    lines.push(line.split(/\s+/).join(' '));
  }
  return lines;
}
