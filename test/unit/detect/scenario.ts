// Test helpers: QueryEvents and deterministic traffic scenarios (seeded PRNG; example.org-style names).
import { detectionSection, type DetectionConfigInput } from '../../../src/config/sections/detection.js';
import type { AlertState } from '../../../src/model/alert.js';
import { DetectionEngine } from '../../../src/detect/engine.js';
import type { Severity } from '../../../src/model/alert.js';
import { severityRank } from '../../../src/model/alert.js';
import type { QueryEvent } from '../../../src/model/query-event.js';
import { seededRandom } from '../../helpers/seeded-random.js';

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

export function event(overrides: Partial<QueryEvent> = {}): QueryEvent {
  return {
    ts: T0,
    transport: 'udp',
    clientIp: '10.0.0.5',
    clientPort: 40000,
    agentId: 'agent-a',
    group: 'research',
    tier: 3,
    qname: 'www.example.org',
    qtype: 'A',
    decision: 'allow',
    reason: 'allowlisted',
    ruleId: 'research/example',
    rcode: 'NOERROR',
    upstream: '192.0.2.53:53',
    cached: false,
    answeredBy: 'upstream',
    latencyUs: 900,
    reqBytes: 40,
    respBytes: 80,
    answers: 1,
    ...overrides,
  };
}

export function randomString(rand: () => number, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(rand() * alphabet.length)] ?? 'a';
  return out;
}

export const HEX = '0123456789abcdef';
export const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
export const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface TunnelOptions {
  readonly zone: string;
  readonly count: number;
  /** Milliseconds between queries. */
  readonly intervalMs: number;
  readonly qtype?: string;
  readonly alphabet?: string;
  /** Data labels per query and their length. */
  readonly labels?: number;
  readonly labelLength?: number;
  readonly start?: number;
  readonly seed?: number;
  readonly base?: Partial<QueryEvent>;
}

/** A tunnel/exfiltration client: every query a fresh encoded subdomain of `zone`. */
export function tunnel(o: TunnelOptions): QueryEvent[] {
  const rand = seededRandom(o.seed ?? 7);
  const out: QueryEvent[] = [];
  for (let i = 0; i < o.count; i++) {
    const labels: string[] = [];
    for (let l = 0; l < (o.labels ?? 1); l++)
      labels.push(randomString(rand, o.alphabet ?? BASE32, o.labelLength ?? 48));
    out.push(
      event({
        ts: (o.start ?? T0) + i * o.intervalMs,
        qname: `${labels.join('.')}.${o.zone}`,
        qtype: o.qtype ?? 'TXT',
        ...o.base,
      }),
    );
  }
  return out;
}

/** Runs events through a fresh engine (optional config) and returns every alert. */
export function run(events: readonly QueryEvent[], config: DetectionConfigInput = {}): readonly AlertState[] {
  const engine = new DetectionEngine(detectionSection.parse(config));
  engine.processBatch([...events].sort((a, b) => a.ts - b.ts));
  return engine.alerts();
}

export function maxSeverity(alerts: readonly AlertState[]): Severity | 'none' {
  let max: Severity | 'none' = 'none';
  for (const a of alerts)
    if (max === 'none' || severityRank(a.severity) > severityRank(max)) max = a.severity;
  return max;
}

/** Alerts above low: what must never fire on benign traffic. */
export function aboveLow(alerts: readonly AlertState[]): AlertState[] {
  return alerts.filter((a) => severityRank(a.severity) >= 1);
}

export function rules(alerts: readonly AlertState[], minSeverity: Severity = 'low'): string[] {
  return [
    ...new Set(
      alerts.filter((a) => severityRank(a.severity) >= severityRank(minSeverity)).map((a) => a.rule),
    ),
  ].sort();
}

/** Interleaves several event lists by time. */
export function merge(...lists: readonly QueryEvent[][]): QueryEvent[] {
  return lists.flat().sort((a, b) => a.ts - b.ts);
}

/** Highest severity a rule reached, or "none". */
export function ruleSeverity(alerts: readonly AlertState[], rule: string): Severity | 'none' {
  return maxSeverity(alerts.filter((a) => a.rule === rule));
}

/** Repeats `names` as glibc does (A then AAAA), `intervalMs` apart, for `rounds` rounds. */
export function lookups(
  names: readonly string[],
  intervalMs: number,
  options: { rounds?: number; start?: number; base?: Partial<QueryEvent> } = {},
): QueryEvent[] {
  const out: QueryEvent[] = [];
  let ts = options.start ?? T0;
  for (let r = 0; r < (options.rounds ?? 1); r++) {
    for (const qname of names) {
      out.push(event({ ts, qname, qtype: 'A', ...options.base }));
      out.push(event({ ts: ts + 1, qname, qtype: 'AAAA', ...options.base }));
      ts += intervalMs;
    }
  }
  return out;
}
