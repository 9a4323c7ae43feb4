// Replay captures through the server's own identity -> guard/policy -> detection code, on capture time.
import { basename } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { qtypeName, rcodeName } from '../lib/dns-codes.js';
import { decideMessage, DecidedQuery, type Outcome } from '../dns/decide-message.js';
import { denialRcode } from '../dns/responses.js';
import { alertJson, newAlert } from '../model/alert.js';
import type { AlertState } from '../model/alert.js';
import { DetectionEngine } from '../detect/engine.js';
import type { Alert, Severity } from '../model/alert.js';
import { severityRank } from '../model/alert.js';
import { forwards, type Decision } from '../model/decision.js';
import { queryEvent, type QueryEvent } from '../model/query-event.js';
import { compilePolicy } from '../policy/compile.js';
import { Guard } from '../policy/guard.js';
import { BypassBook, type BypassAlert } from './bypass-evidence.js';
import { pairDns } from './dns-pairing.js';
import { readCapture } from './read-capture.js';
import type { CapturedDns } from './records.js';

export interface ReplayOptions {
  readonly loaded: LoadedConfig;
  /** Override every group's mode: audit observes every query as if forwarded. */
  readonly mode?: 'enforce' | 'audit' | undefined;
  readonly ports?: ReadonlySet<number> | undefined;
  /** dnsward's own addresses in the capture; DNS to others is bypass evidence. Default: the config's listen hosts. */
  readonly resolvers?: ReadonlySet<string> | undefined;
  /** Sees every query event replay derives, in capture order (tests compare them with the server's). */
  readonly onEvent?: ((event: QueryEvent) => void) | undefined;
}

export interface FirstAlert {
  readonly rule: string;
  readonly severity: Severity;
  /** Queries of the file replayed up to and including the one that raised it. */
  readonly queries: number;
  /** Capture seconds from the file's first query. */
  readonly seconds: number;
  readonly bytesLeaked: number;
  readonly bytesAttempted: number;
}

export interface FileReport {
  readonly file: string;
  readonly format: string;
  readonly frames: number;
  readonly queries: number;
  readonly seconds: number;
  /** Where reading stopped early, or null. */
  readonly error: string | null;
  /** The first alert of at least medium severity. */
  readonly firstAlert: FirstAlert | null;
}

export type ReplayAlert = Alert & { readonly file: string };

export interface ReplayReport {
  files: FileReport[];
  queries: number;
  decisions: Record<string, number>;
  rcodes: Record<string, number>;
  alerts: ReplayAlert[];
}

export async function replayCaptures(
  paths: readonly string[],
  options: ReplayOptions,
): Promise<ReplayReport> {
  const report: ReplayReport = { files: [], queries: 0, decisions: {}, rcodes: {}, alerts: [] };
  const resolvers = options.resolvers ?? new Set(options.loaded.config.listen.udp.map((a) => a.host));
  for (const path of paths) await replayFile(path, options, resolvers, report);
  return report;
}

async function replayFile(
  path: string,
  options: ReplayOptions,
  resolvers: ReadonlySet<string>,
  report: ReplayReport,
): Promise<void> {
  const { config } = options.loaded;
  const policy = compilePolicy(options.loaded, 0);
  const guard = new Guard(config.guard.stateEntries);
  const engine = new DetectionEngine(config.detection);
  const bypass = new BypassBook();
  const capture = readCapture(path, options.ports ? { ports: options.ports } : {});
  let queries = 0;
  let startTs = Number.NaN;
  let lastTs = Number.NaN;
  let firstAlert: FirstAlert | null = null;
  for await (const record of pairDns(capture.records)) {
    if (record.kind !== 'exchange') {
      bypass.tls(record.kind, record.srcIp, record.dstIp, record.sni, record.ts);
      continue;
    }
    const { query: captured, response } = record;
    if (!captured) continue;
    const q = new DecidedQuery(captured.ts);
    const outcome = decideMessage(captured.payload, captured.srcIp, policy, guard, captured.ts, q);
    if (outcome === 'drop') continue;
    queries++;
    if (Number.isNaN(startTs)) startTs = captured.ts;
    lastTs = captured.ts;
    bypass.query(captured.srcIp, captured.dstIp, resolvers, captured.ts);
    if (q.verdict) {
      q.verdict = withMode(q.verdict, options.mode);
      q.decision = q.verdict.kind;
      if (forwards(q.verdict)) {
        q.answeredBy = 'upstream';
        q.upstream = `${captured.dstIp}:${captured.dstPort}`;
      }
    }
    const rcode = q.verdict ? answerRcode(q.verdict, q.query?.name ?? '', response) : listenerRcode(outcome);
    count(report.decisions, q.decision);
    count(report.rcodes, rcode);
    const client = { address: captured.srcIp, port: captured.srcPort, transport: captured.transport };
    const event = queryEvent(
      q,
      client,
      q.query ? q.query.name : '',
      q.query ? qtypeName(q.query.qtype) : '',
      rcode,
      response ? Math.max(0, Math.round((response.ts - captured.ts) * 1000)) : 0,
      captured.payload.length,
      response ? response.payload : null,
    );
    options.onEvent?.(event);
    engine.process(event);
    if (!firstAlert) firstAlert = firstNotable(engine.takeChanges(), queries, (captured.ts - startTs) / 1000);
  }
  const file = displayName(path);
  for (const alert of engine.alerts())
    report.alerts.push(toReplayAlert(alert, file, report.alerts.length + 1));
  for (const alert of bypass.all())
    report.alerts.push(
      bypassToReplayAlert(alert, policy.identify(alert.clientIp), file, report.alerts.length + 1),
    );
  report.queries += queries;
  report.files.push({
    file,
    format: capture.stats.format,
    frames: capture.stats.frames,
    queries,
    seconds: Number.isNaN(startTs) ? 0 : round3((lastTs - startTs) / 1000),
    error: capture.stats.error ? capture.stats.error.message : null,
    firstAlert,
  });
}

/** What dnsward answers a message that never reaches policy (FORMERR, NOTIMP, BADVERS, or REFUSED for its class). */
function listenerRcode(outcome: Outcome): string {
  if (outcome === 'formerr') return 'FORMERR';
  if (outcome === 'badvers') return 'BADVERS';
  return outcome === 'notimp' ? 'NOTIMP' : 'REFUSED';
}

/** `--mode` applies to every group: audit turns denials into would-deny, enforce the reverse. */
function withMode(decision: Decision, mode: 'enforce' | 'audit' | undefined): Decision {
  if (mode === 'audit' && decision.kind === 'deny') return { ...decision, kind: 'would-deny' };
  if (mode === 'enforce' && decision.kind === 'would-deny') return { ...decision, kind: 'deny' };
  return decision;
}

/** What the client got: dnsward's own answer for denials, the captured upstream answer for forwarded queries. */
function answerRcode(decision: Decision, name: string, response: CapturedDns | undefined): string {
  switch (decision.kind) {
    case 'deny':
      return denialRcode(decision.rcode, decision.reason, name);
    case 'rate-limited':
      return decision.action === 'drop' ? 'NONE' : 'REFUSED';
    case 'allow':
    case 'would-deny':
      return response && response.payload.length >= 4
        ? rcodeName(response.payload.readUInt16BE(2) & 0xf)
        : 'NONE';
    default: {
      const never: never = decision;
      return never;
    }
  }
}

function firstNotable(changes: readonly AlertState[], queries: number, seconds: number): FirstAlert | null {
  const notable = changes.find((a) => severityRank(a.severity) >= severityRank('medium'));
  if (!notable) return null;
  return {
    rule: notable.rule,
    severity: notable.severity,
    queries,
    seconds: round3(seconds),
    bytesLeaked: notable.bytesLeaked,
    bytesAttempted: notable.bytesAttempted,
  };
}

function toReplayAlert(a: AlertState, file: string, id: number): ReplayAlert {
  return { ...alertJson(a, id), file };
}

function bypassToReplayAlert(
  a: BypassAlert,
  agent: { id: string; group: string },
  file: string,
  id: number,
): ReplayAlert {
  const alert = newAlert(
    {
      rule: a.rule,
      severity: a.severity,
      agentId: agent.id,
      group: agent.group,
      clientIp: a.clientIp,
      baseDomain: a.target,
      score: 1,
      exposure: 'forwarded',
      lastSeenMs: a.lastSeenMs,
      count: a.count,
      features: { target: a.target },
    },
    a.firstSeenMs,
  );
  return { ...alertJson(alert, id), file };
}

function count(table: Record<string, number>, key: string): void {
  table[key] = (table[key] ?? 0) + 1;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function displayName(path: string): string {
  return path.startsWith('/') ? basename(path) : path;
}
