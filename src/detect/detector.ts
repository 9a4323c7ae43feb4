// Detector: one rule = one file under detectors/, named as its id; it sees one event plus the windows.
import type { DetectionConfig } from '../config/sections/detection.js';
import type { Finding } from '../model/alert.js';
import type { Observation } from './dedupe.js';
import type { QueryEvent } from '../model/query-event.js';
import type { LexicalFeatures } from './features.js';
import type { NameInfo } from './name-info.js';
import type { AgentWindows, DomainWindows, KeyWindows } from './windows.js';

export type Rules = DetectionConfig['rules'];

/** What a detector sees for one event. Windows already include this event. */
export interface DetectionContext {
  readonly event: QueryEvent;
  readonly name: NameInfo;
  /** The query left dnsward (allow or audit-mode would-deny). */
  readonly forwarded: boolean;
  /** Windows of (agent, base domain); null for names that skip volume rules (trusted, internal, reverse...). */
  readonly key: KeyWindows | null;
  readonly agent: AgentWindows;
  readonly domain: DomainWindows | null;
  /** Lexical features of the subdomain; set for new subdomains of a key, else computed on demand. */
  lexical(): LexicalFeatures;
  /** This subdomain was not seen for this key within the recent-name TTL. */
  readonly isNewSubdomain: boolean;
  /** Charset-weighted bytes this query added (0 when not a new subdomain). */
  readonly newBytes: number;
  /**
   * Distinct domains the agent sent data-carrying new names to in 5 min, among those it may not reach; 0 when
   * this query added nothing to that spread.
   */
  readonly spreadDomains: number;
  readonly rules: Rules;
}

/** A detector's verdict for one event; the engine adds the rule id and dedupes it into an alert. */
export interface RuleHit {
  readonly severity: Finding['severity'];
  /** 0..100. */
  readonly score: number;
  readonly features: Finding['features'];
  /** Alert key override for rules that are not per base domain (rate-spike uses "*"). */
  readonly baseDomain?: string;
  /** Bytes override for rules whose volume is not the (agent, base domain) windows' (domain-spread). */
  readonly bytes?: Observation['bytes'];
}

export interface Detector {
  /** Rule id = file name = alert `rule` column = metric label. */
  readonly id: keyof Rules;
  /**
   * The rule judges one query, not a window: the alert's bytes and exposure are those of the queries it fired
   * on, never the (agent, base domain) window's, which other names fill too (issue 20, L8).
   */
  readonly perQuery?: boolean;
  observe(ctx: DetectionContext): RuleHit | null;
}

/** Rounds feature values so alerts are readable and replay output is stable. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Whether the new subdomains of a key look like encoded data: mean lexical score over 5 min (or 24 h for
 * slow rates) at or above `minEncodedness`, or nearly every query a fresh name with some lexical support
 * (a tunnel never repeats a name; glibc A+AAAA pairs keep benign ratios at or below 0.5).
 */
export function corroborated(key: KeyWindows, ts: number, minEncodedness: number): boolean {
  const mean = Math.max(key.meanLexical(ts), key.meanLexicalDay(ts));
  if (mean >= minEncodedness) return true;
  return key.uniqueRatio(ts) >= 0.75 && mean >= minEncodedness / 2;
}
