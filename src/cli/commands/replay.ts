// `dnsward replay`: captures through the same policy and detectors as the server, for CI gates and analysts.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { DnswardError } from '../../errors.js';
import { checkExpectations, loadLabels } from '../../pcap/expectations.js';
import { replayLive, type LiveOptions } from '../../pcap/live-replay.js';
import { replayCaptures, type ReplayReport } from '../../pcap/replay.js';
import { parseHostPort } from '../../config/host-port.js';
import { exitWith, processIo, type CommandIo } from '../command-io.js';
import { collect, parseMode } from '../options.js';
import { formatJson, formatTable } from '../output.js';

export interface ReplayOptions {
  config?: string;
  mode?: 'enforce' | 'audit';
  format: string;
  expect?: string;
  port: string[];
  resolver: string[];
  live?: string;
  speed?: string;
  max?: boolean;
}

const ALERT_COLUMNS = [
  'id',
  'file',
  'rule',
  'severity',
  'agentId',
  'clientIp',
  'baseDomain',
  'firstSeen',
  'lastSeen',
  'count',
  'exposure',
  'bytesLeaked',
  'bytesAttempted',
];

/** `dnsward replay`: the report on `io.out`; 1 when a capture stopped early, --live lost answers or --expect failed. */
export async function replay(
  files: readonly string[],
  options: ReplayOptions,
  io: CommandIo = processIo,
): Promise<number> {
  if (options.format !== 'table' && options.format !== 'json') {
    throw new DnswardError('DNSWARD_ERR_USAGE', `--format: expected table or json, got "${options.format}"`);
  }
  const ports = options.port.length > 0 ? new Set(options.port.map(parsePort)) : undefined;
  const report = await replayCaptures(files, {
    loaded: loadConfig(options.config),
    mode: options.mode,
    ports,
    resolvers: options.resolver.length > 0 ? new Set(options.resolver) : undefined,
  });
  let failed = false;
  const live = options.live === undefined ? undefined : await replayLive(files, liveOptions(options, ports));
  io.out(options.format === 'json' ? formatJson(live ? { ...report, live } : report) : formatReport(report));
  if (live && options.format !== 'json') {
    io.out(
      `\nlive ${live.target}: sent ${live.sent}, answered ${live.answered}, lost ${live.lost} in ${live.seconds} s; ${counts(live.rcodes)}\n`,
    );
  }
  if (live && live.lost > 0) failed = true;
  for (const file of report.files) {
    if (file.error !== null) {
      io.err(`dnsward: ${file.file}: capture read stopped early: ${file.error}\n`);
      failed = true;
    }
  }
  if (options.expect !== undefined) {
    const { labels, dir } = loadLabels(options.expect);
    const result = checkExpectations(report, files, labels, dir);
    io.err(`${result.lines.join('\n')}\n`);
    failed ||= !result.ok;
  }
  return failed ? 1 : 0;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('run pcap/pcapng captures through the policy and detectors, on capture time (deterministic)')
    .argument('<files...>', 'pcap or pcapng captures (format detected from the magic bytes)')
    .option('-c, --config <file>', 'config whose identity rules and groups apply (default: the embedded one)')
    .option(
      '--mode <mode>',
      'enforce | audit for every group (audit: every query as if forwarded)',
      parseMode,
    )
    .option('--format <format>', 'table | json', 'table')
    .option('--expect <labels.json>', 'exit 1 unless the alerts match these labels')
    .option(
      '--live <addr:port>',
      'also send the captured queries to a running dnsward (loopback only) and count its answers',
    )
    .option('--speed <n>', 'with --live: N times the recorded pace (default 1)')
    .option('--max', 'with --live: as fast as answers come back')
    .option('--port <port>', 'UDP/TCP port carrying DNS, repeatable (default 53)', collect, [])
    .option(
      '--resolver <addr>',
      "dnsward's own address in the capture, repeatable (default: the config's listen hosts)",
      collect,
      [],
    )
    .action(async (files: string[], options: ReplayOptions) => exitWith(await replay(files, options)));
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new DnswardError('DNSWARD_ERR_USAGE', `--port: not a port: ${text}`);
  return port;
}

function liveOptions(options: ReplayOptions, ports: ReadonlySet<number> | undefined): LiveOptions {
  const target = parseHostPort(options.live ?? '', 53);
  if (!target)
    throw new DnswardError('DNSWARD_ERR_USAGE', `--live: expected ADDR:PORT, got "${options.live ?? ''}"`);
  const speed = options.max ? Infinity : Number(options.speed ?? '1');
  if (!(speed > 0))
    throw new DnswardError(
      'DNSWARD_ERR_USAGE',
      `--speed: expected a positive number, got "${options.speed ?? ''}"`,
    );
  return { target, speed, ports };
}

function counts(table: Record<string, number>): string {
  return Object.entries(table)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function formatReport(report: ReplayReport): string {
  const files = report.files.map((f) => ({
    file: f.file,
    queries: f.queries,
    seconds: f.seconds,
    firstAlert: f.firstAlert ? `${f.firstAlert.severity} ${f.firstAlert.rule}` : '',
    queriesToAlert: f.firstAlert?.queries ?? '',
    secondsToAlert: f.firstAlert?.seconds ?? '',
    bytesBeforeAlert: f.firstAlert ? f.firstAlert.bytesAttempted : '',
    error: f.error ?? '',
  }));
  return [
    formatTable(files, [
      'file',
      'queries',
      'seconds',
      'firstAlert',
      'queriesToAlert',
      'secondsToAlert',
      'bytesBeforeAlert',
      'error',
    ]),
    `queries: ${report.queries}\ndecisions: ${counts(report.decisions)}\nrcodes: ${counts(report.rcodes)}\n`,
    report.alerts.length === 0
      ? 'alerts: none\n'
      : formatTable(
          report.alerts.map((a) => ({ ...a })),
          ALERT_COLUMNS,
        ),
  ].join('\n');
}
