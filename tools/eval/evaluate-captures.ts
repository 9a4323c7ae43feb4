// Evaluation: runs the labelled fixture captures through the engine and prints a detection table.
//
// node --import tsx tools/eval/evaluate-captures.ts [../shared/fixtures] [--json]
// Every query is treated as forwarded, tier 3, agent = client IP (see capture-events.ts).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

export function evaluateFile(path: string, zones: readonly string[], variant: EvalVariant = {}): FileResult {
  const events = captureEvents(path).map((e): QueryEvent => {
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

function main(): void {
  const root = resolve(process.argv.find((a, i) => i >= 2 && !a.startsWith('--')) ?? '../shared/fixtures');
  const results: FileResult[] = [];
  for (const set of ['pcap', 'public']) {
    const labels = JSON.parse(readFileSync(join(root, set, 'labels.json'), 'utf8')) as Labels;
    for (const [file, label] of Object.entries(labels.files)) {
      const zones = label.malicious.map((m) => m.zone);
      const variant: EvalVariant = {
        disable: process.argv.includes('--volume-only') ? HARD_MARKERS : [],
        enforce: process.argv.includes('--enforce'),
        oneAgent: process.argv.includes('--one-agent'),
      };
      results.push({ ...evaluateFile(join(root, set, file), zones, variant), file: `${set}/${file}` });
    }
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
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
  process.stdout.write(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n`);
  for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
  for (const r of results) for (const fp of r.falseAlerts) process.stdout.write(`FP ${r.file}: ${fp}\n`);
}

main();
