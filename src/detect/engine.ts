// The detection engine: name analysis -> windows -> detectors -> dedupe. Pure: time is the events' own ts.
import type { DetectionConfig } from '../config/sections/detection.js';
import { eventPod, type QueryEvent } from '../model/query-event.js';
import type { AlertState, Mute } from '../model/alert.js';
import { AlertBook, type Observation } from './dedupe.js';
import type { DetectionContext, Detector, RuleHit, Rules } from './detector.js';
import { isServiceLabel, lexicalFeatures, type LexicalFeatures } from './features.js';
import { NameAnalyzer, type NameInfo } from './name-info.js';
import { isDataQtype, isRareQtype } from './qtypes.js';
import { DETECTORS } from './rule-set.js';
import {
  BeaconTrack,
  D,
  L,
  S,
  stablePart,
  WindowStore,
  type AgentWindows,
  type DomainWindows,
  type KeyWindows,
  type StoreStats,
} from './windows.js';

const SEVERITY_FLOOR = { low: 0, medium: 1, high: 2, critical: 3 } as const;
/** EWMA weight of the newest minute in an agent's rate baseline (about a 20-minute memory). */
const BASELINE_ALPHA = 0.05;
/** Novelty adds this much to a new subdomain's lexical score when its base domain is new to the fleet. */
const NOVELTY_BONUS = 0.1;
const NOVELTY_WINDOW_MS = 86_400_000;

export interface EngineStats extends StoreStats {
  readonly events: number;
  readonly findings: number;
  readonly openAlerts: number;
}

/**
 * Consumes QueryEvents in arrival order and keeps deduplicated alerts. Deterministic: the same events
 * give the same alerts, byte for byte (`dnsward replay` relies on it); it never reads the wall clock.
 */
export class DetectionEngine {
  private readonly names: NameAnalyzer;
  private readonly store: WindowStore;
  private readonly book: AlertBook;
  private readonly detectors;
  private readonly floor: number;
  private readonly noveltyWarmupMs: number;
  private startTs = Number.NaN;
  private now = Number.NEGATIVE_INFINITY;
  private events = 0;
  private findings = 0;

  constructor(private readonly config: DetectionConfig) {
    this.names = new NameAnalyzer({
      trustedEncoders: [...config.trustedEncoders, ...config.extraTrustedEncoders],
      internalZones: config.internalZones,
      searchDomains: config.searchDomains,
    });
    const s = config.state;
    this.store = new WindowStore({
      maxKeys: s.maxKeys,
      maxAgents: s.maxAgents,
      maxDomains: s.maxDomains,
      maxRecentNames: s.maxRecentNames,
      recentNameTtlMs: s.recentNameTtlSeconds * 1000,
      idleExpiryMs: s.idleExpirySeconds * 1000,
    });
    this.book = new AlertBook({
      suppressionWindowMs: config.alerts.suppressionWindowSeconds * 1000,
      maxSamples: config.alerts.maxSamples,
      maxOpen: config.alerts.maxOpen,
    });
    this.detectors = DETECTORS.filter((d) => config.rules[d.id].enabled);
    this.floor = SEVERITY_FLOOR[config.lowSeverityFloor];
    this.noveltyWarmupMs = s.noveltyWarmupSeconds * 1000;
  }

  setMutes(mutes: readonly Mute[]): void {
    this.book.setMutes(mutes);
  }

  /** Alerts restored from the store after a restart, so dedupe continues instead of duplicating. */
  seed(alerts: readonly AlertState[]): void {
    this.book.seed(alerts);
  }

  processBatch(events: readonly QueryEvent[]): void {
    for (const event of events) this.process(event);
  }

  process(event: QueryEvent): void {
    if (event.decision === 'malformed') return;
    this.events++;
    // time only moves forward: a late event is evaluated at the newest time seen (windows stay consistent)
    const ts = event.ts > this.now ? event.ts : this.now;
    this.now = ts;
    if (Number.isNaN(this.startTs)) this.startTs = ts;

    const name = this.names.analyze(event.qname);
    const forwarded = event.decision === 'allow' || event.decision === 'would-deny';
    const agent = this.store.agent(event.agentId, ts);
    agent.record(ts, BASELINE_ALPHA);
    if (event.decision === 'rate-limited') agent.limited.add(ts, 0);

    const ctx = new EventContext(
      ts === event.ts ? event : { ...event, ts },
      name,
      forwarded,
      agent,
      this.config.rules,
    );
    if (name.kind === 'public' || name.kind === 'unknown-tld') this.observeVolume(ctx, ts);
    for (const detector of this.detectors) {
      const hit = detector.observe(ctx);
      if (hit !== null && SEVERITY_FLOOR[hit.severity] >= this.floor) this.record(detector, hit, ctx);
    }
  }

  /** Alerts created or updated since the last call (each once), in creation order. */
  takeChanges(): AlertState[] {
    return this.book.takeChanges();
  }

  /** Every alert raised so far, in creation order (replay output). */
  alerts(): readonly AlertState[] {
    return this.book.allAlerts();
  }

  /** Servers call this after storing changes: the replay history is not needed there. */
  forgetHistory(): void {
    this.book.forgetHistory();
  }

  stats(): EngineStats {
    return {
      ...this.store.stats(),
      events: this.events,
      findings: this.findings,
      openAlerts: this.book.openCount,
    };
  }

  /** Feeds the windows of the name's (agent, base domain); scores the subdomain when it is new there. */
  private observeVolume(ctx: EventContext, ts: number): void {
    const { event, name } = ctx;
    const domain = this.store.domain(name.base, ts);
    domain.noteAgent(event.agentId);
    const key = this.store.key(event.agentId, name.base, ts);
    ctx.domain = domain;
    ctx.key = key;
    ctx.isNewSubdomain = this.store.isNewSubdomain(key, subdomainKey(name), ts);
    if (ctx.isNewSubdomain) {
      const { lexical, bytes } = shapedLexical(name);
      ctx.features = lexical;
      ctx.newBytes = bytes;
      // a domain created by this event has firstSeen === ts: novel as well
      const novel = ts - domain.firstSeen < NOVELTY_WINDOW_MS;
      const score =
        novel && ts - this.startTs >= this.noveltyWarmupMs
          ? Math.min(1, lexical.score + NOVELTY_BONUS)
          : lexical.score;
      // lookup keys of a known shape (reversed IPs, word-like embedded FQDNs) carry bytes, not "unique data"
      const counts =
        name.shape === 'free' ||
        (name.shape === 'embedded-fqdn' &&
          lexical.score >= this.config.rules['unique-subdomains'].minEncodedness);
      recordNew(key, ts, bytes, score, ctx.forwarded, counts, isDataQuery(event.qtype, name));
      if (counts) {
        key.long.add(ts, L.raw, lexical.subLength);
        if (name.shape === 'free') trackBeacon(key, ts, stablePart(subdomainKey(name)));
        if (event.decision !== 'allow') this.recordSpread(ctx, lexical, score, ts);
      }
    }
    recordQuery(key, ts, event, name);
  }

  /** A data-carrying new name to a domain the agent is not allowed to reach counts towards its spread. */
  private recordSpread(ctx: EventContext, lexical: LexicalFeatures, score: number, ts: number): void {
    if (lexical.subLength < this.config.rules['domain-spread'].minLabelBytes) return;
    const { agent } = ctx;
    ctx.spreadDomains = agent.noteSpread(ctx.name.base, ts, lexical.subLength, score);
    agent.spreadAttempted += ctx.newBytes;
    if (ctx.forwarded) agent.spreadLeaked += ctx.newBytes;
  }

  /**
   * Bytes: the hit's own, else the (agent, base domain) window's totals for a window rule, else this query's
   * (per-query rules, and per-agent rules keyed "*", whose windows would be whichever base this query had).
   */
  private record(detector: Detector, hit: RuleHit, ctx: DetectionContext): void {
    this.findings++;
    const { event, key } = ctx;
    const windowed = key !== null && detector.perQuery !== true && hit.baseDomain !== '*';
    const bytes: Observation['bytes'] =
      hit.bytes ??
      (windowed
        ? { kind: 'window', windowId: key.id, leaked: key.cumLeaked, attempted: key.cumAttempted }
        : {
            kind: 'query',
            leaked: ctx.forwarded ? ctx.lexical().infoBytes : 0,
            attempted: ctx.lexical().infoBytes,
          });
    this.book.record({
      rule: detector.id,
      severity: hit.severity,
      score: hit.score,
      features: hit.features,
      agentId: event.agentId,
      group: event.group,
      clientIp: event.clientIp,
      podIdentity: eventPod(event),
      baseDomain: hit.baseDomain ?? (ctx.name.base === '' ? '.' : ctx.name.base),
      ts: event.ts,
      qname: event.qname,
      forwarded: ctx.forwarded,
      bytes,
    });
  }
}

/**
 * What the detectors see of one event; lexical features are computed at most once, and only when asked.
 * A class rather than a literal with a closure: under tsx (esbuild keepNames) every closure made per event
 * also pays a defineProperty for its name.
 */
class EventContext implements DetectionContext {
  key: KeyWindows | null = null;
  domain: DomainWindows | null = null;
  isNewSubdomain = false;
  newBytes = 0;
  spreadDomains = 0;
  features: LexicalFeatures | null = null;

  constructor(
    readonly event: QueryEvent,
    readonly name: NameInfo,
    readonly forwarded: boolean,
    readonly agent: AgentWindows,
    readonly rules: Rules,
  ) {}

  lexical(): LexicalFeatures {
    return (this.features ??= lexicalFeatures(this.name.subLabels));
  }
}

/** The identity of a subdomain within its key: the name left of the base domain (qname is lower-cased). */
function subdomainKey(name: NameInfo): string {
  return name.qname.length > name.base.length
    ? name.qname.slice(0, name.qname.length - name.base.length)
    : '';
}

/** Lexical features and carried bytes; a reversed-IP prefix carries its 4 or 16 address bytes, scored as data-free. */
function shapedLexical(name: NameInfo): { lexical: LexicalFeatures; bytes: number } {
  if (name.shape === 'ip-lookup') {
    const v4 = name.subLabels.length >= 4 && name.subLabels.slice(0, 4).every((l) => /^\d+$/.test(l));
    const rest = lexicalFeatures(name.subLabels.slice(v4 ? 4 : 32));
    return { lexical: rest, bytes: rest.infoBytes + (v4 ? 4 : 16) };
  }
  const lexical = lexicalFeatures(name.subLabels);
  return { lexical, bytes: lexical.infoBytes };
}

/**
 * TXT/NULL/KEY/MX/CNAME/... for a name that does not start with a protocol label: `_dmarc`, `_domainkey`,
 * `_acme-challenge`, `_mta-sts` and SRV names are TXT/SRV by specification.
 */
function isDataQuery(qtype: string, name: NameInfo): boolean {
  return isDataQtype(qtype) && !isServiceLabel(name.labels[0] ?? '');
}

function recordNew(
  key: KeyWindows,
  ts: number,
  bytes: number,
  lexicalScore: number,
  forwarded: boolean,
  countsAsUnique: boolean,
  dataQuery: boolean,
): void {
  key.short.add(ts, S.bytes, bytes);
  key.long.add(ts, L.bytes, bytes);
  key.hour.add(ts, 0, bytes);
  key.day.add(ts, D.bytes, bytes);
  key.cumAttempted += bytes;
  if (forwarded) {
    key.day.add(ts, D.leaked, bytes);
    key.cumLeaked += bytes;
  }
  if (!countsAsUnique) return;
  key.short.add(ts, S.uniq);
  key.long.add(ts, L.uniq);
  key.long.add(ts, L.lexSum, lexicalScore);
  key.day.add(ts, D.uniq);
  key.day.add(ts, D.lexSum, lexicalScore);
  if (dataQuery) {
    key.short.add(ts, S.dataUniq);
    key.long.add(ts, L.dataUniq);
  }
}

/** A key's beacon series starts at its second new name; the first leaves only its time and shape. */
function trackBeacon(key: KeyWindows, ts: number, shape: number): void {
  if (key.beacon !== null) key.beacon.add(ts, shape);
  else if (Number.isNaN(key.firstNewTs)) {
    key.firstNewTs = ts;
    key.firstNewShape = shape;
  } else {
    key.beacon = new BeaconTrack(key.firstNewTs, key.firstNewShape);
    key.beacon.add(ts, shape);
  }
}

function recordQuery(key: KeyWindows, ts: number, event: QueryEvent, name: NameInfo): void {
  key.queries++;
  key.long.add(ts, L.queries);
  if (isDataQuery(event.qtype, name)) key.long.add(ts, L.dataAll);
  if (name.nonLdh > 0) key.long.add(ts, L.nonLdh);
  if (isRareQtype(event.qtype)) key.long.add(ts, L.rare);
  // only answers that came from outside say anything about the zone (policy NXDOMAIN is ours)
  if (event.answeredBy !== 'policy' && event.answeredBy !== 'listener' && name.shape === 'free') {
    if (event.rcode === 'NXDOMAIN') key.long.add(ts, L.nx);
    if (event.rcode === 'NXDOMAIN' || event.rcode === 'NOERROR') key.long.add(ts, L.answered);
  }
}
