// Evaluation: runs a labelled capture set through the engine and prints a per-capture detection table.
//
// The command is eval.ts (npm run eval -- DIR).
// DIR holds labels.json (the format of fixtures/labels.json), or subfolders that each hold one.
// Every query is treated as forwarded, tier 3, agent = client IP (see capture-events.ts).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { detectionSection } from '../../src/config/sections/detection.js';
import { severityRank, type Severity } from '../../src/model/alert.js';
import type { QueryEvent } from '../../src/model/query-event.js';
import type { AlertState } from '../../src/model/alert.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import { captureEvents } from './capture-events.js';

interface Labels {
  files: Record<string, { malicious: { zone: string; registrable_domain: string; tool: string }[] }>;
}

export interface FileResult {
  file: string;
  malicious: boolean;
  queries: number;
  maliciousQueries: number;
  alerted: boolean;
  maxSeverity: Severity | '-';
  rules: string[];
  /** Malicious queries seen up to and including the one that raised the first alert >= medium. */
  queriesToAlert: number | null;
  secondsToAlert: number | null;
  bytesBeforeAlert: number | null;
  falseAlerts: string[];
  lowOnBenign: number;
}

function underZone(qname: string, zone: string): boolean {
  return zone === '*' || qname === zone || qname.endsWith(`.${zone}`);
}

export interface EvalVariant {
  /** Rules disabled, e.g. every per-query hard marker, to measure the volume rules alone. */
  readonly disable?: readonly string[];
  /** Every query denied by policy (enforce mode): nothing forwarded, NXDOMAIN from the policy. */
  readonly enforce?: boolean;
  /** One agent for the whole file (NAT, a shared node address): benign traffic merges. */
  readonly oneAgent?: boolean;
}

export const HARD_MARKERS = [
  'null-qtype',
  'rare-qtype',
  'non-ldh-label',
  'tunnel-tool-marker',
  'fake-tld-long-label',
  'doh-bypass',
  'tier1-query',
];

export async function evaluateFile(
  path: string,
  zones: readonly string[],
  variant: EvalVariant = {},
): Promise<FileResult> {
  const events = (await captureEvents(path)).map((e): QueryEvent => {
    let out = e;
    if (variant.enforce === true) {
      out = { ...out, decision: 'deny', rcode: 'NXDOMAIN', answeredBy: 'policy', upstream: null, answers: 0 };
    }
    if (variant.oneAgent === true) out = { ...out, agentId: 'node', clientIp: '10.0.0.1' };
    return out;
  });
  const rules: Record<string, { enabled: boolean }> = {};
  for (const id of variant.disable ?? []) rules[id] = { enabled: false };
  const engine = new DetectionEngine(detectionSection.parse({ rules }));
  const isMal = (e: QueryEvent): boolean => zones.some((z) => underZone(e.qname, z));
  let maliciousSeen = 0;
  let firstMalTs: number | null = null;
  let queriesToAlert: number | null = null;
  let secondsToAlert: number | null = null;
  let bytesBeforeAlert: number | null = null;
  const malAlertIds = new Set<number>();
  for (const event of events) {
    const mal = isMal(event);
    if (mal) {
      maliciousSeen++;
      firstMalTs ??= event.ts;
    }
    engine.process(event);
    for (const alert of engine.takeChanges()) {
      if (alertIsMalicious(alert, zones) && severityRank(alert.severity) >= 1 && queriesToAlert === null) {
        queriesToAlert = maliciousSeen;
        secondsToAlert = (event.ts - (firstMalTs ?? event.ts)) / 1000;
        bytesBeforeAlert = alert.bytesAttempted;
      }
      if (alertIsMalicious(alert, zones)) malAlertIds.add(alert.localId);
    }
  }
  const alerts = engine.alerts();
  const mal = alerts.filter((a) => malAlertIds.has(a.localId));
  const benign = alerts.filter((a) => !malAlertIds.has(a.localId));
  const maxSeverity = mal.reduce<Severity | '-'>(
    (m, a) => (m === '-' || severityRank(a.severity) > severityRank(m) ? a.severity : m),
    '-',
  );
  return {
    file: path,
    malicious: zones.length > 0,
    queries: events.length,
    maliciousQueries: maliciousSeen,
    alerted: mal.some((a) => severityRank(a.severity) >= 1),
    maxSeverity,
    rules: [
      ...new Set(
        mal.filter((a) => severityRank(a.severity) >= 1).map((a) => `${a.rule}:${a.severity[0] ?? ''}`),
      ),
    ],
    queriesToAlert,
    secondsToAlert,
    bytesBeforeAlert,
    falseAlerts: benign
      .filter((a) => severityRank(a.severity) >= 1)
      .map((a) => `${a.rule}/${a.severity}/${a.agentId}/${a.baseDomain}/${a.samples[0] ?? ''}`),
    lowOnBenign: benign.filter((a) => a.severity === 'low').length,
  };
}

/** An alert is about the tunnel when its samples are under a malicious zone (or the file has no usable zone). */
function alertIsMalicious(alert: AlertState, zones: readonly string[]): boolean {
  if (zones.length === 0) return false;
  return alert.samples.some((s) => zones.some((z) => underZone(s, z)));
}

/** The labelled sets under `root`: root itself when it holds labels.json, else its subfolders that do. */
export function labelledSets(root: string): string[] {
  if (existsSync(join(root, 'labels.json'))) return [root];
  return readdirSync(root)
    .map((entry) => join(root, entry))
    .filter((dir) => statSync(dir).isDirectory() && existsSync(join(dir, 'labels.json')))
    .sort();
}

/** Scores every labelled capture of every set under `root`; file names are relative to `root`. */
export async function evaluateSets(root: string, variant: EvalVariant = {}): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const set of labelledSets(root)) {
    const labels = JSON.parse(readFileSync(join(set, 'labels.json'), 'utf8')) as Labels;
    const prefix = set === root ? '' : `${set.slice(root.length + 1)}/`;
    for (const [file, label] of Object.entries(labels.files)) {
      const zones = label.malicious.map((m) => m.zone);
      results.push({ ...(await evaluateFile(join(set, file), zones, variant)), file: `${prefix}${file}` });
    }
  }
  return results;
}

/** The per-capture table, GitHub Markdown, one row a capture, then one line per false alert. */
export function resultTable(results: readonly FileResult[]): string {
  const rows = results.map((r) => [
    r.file,
    String(r.queries),
    r.malicious ? (r.alerted ? 'yes' : 'NO') : '-',
    r.maxSeverity,
    r.rules.join(' '),
    r.queriesToAlert === null ? '-' : String(r.queriesToAlert),
    r.secondsToAlert === null ? '-' : r.secondsToAlert.toFixed(2),
    r.bytesBeforeAlert === null ? '-' : String(r.bytesBeforeAlert),
    String(r.falseAlerts.length),
    String(r.lowOnBenign),
  ]);
  const head = [
    'file',
    'queries',
    'alerted',
    'max',
    'rules (>= medium)',
    'q→alert',
    's→alert',
    'B→alert',
    'FP>low',
    'low benign',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  for (const r of results) for (const fp of r.falseAlerts) lines.push(`FP ${r.file}: ${fp}`);
  return `${lines.join('\n')}\n`;
}
