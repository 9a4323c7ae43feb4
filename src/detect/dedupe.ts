// Dedupe: findings -> one alert per (agent, base domain, rule) within the suppression window, with escalation and mutes.
import type { AlertState, Mute, Severity } from '../model/alert.js';
import { severityRank } from '../model/alert.js';
import { Lru } from '../lib/lru.js';
import type { PodIdentity } from '../model/agent.js';

/** One rule hit with its context, as the engine hands it to the book. */
export interface Observation {
  readonly rule: string;
  readonly severity: Severity;
  readonly score: number;
  readonly features: Readonly<Record<string, number | string | boolean>>;
  readonly agentId: string;
  readonly group: string;
  readonly clientIp: string;
  readonly podIdentity?: PodIdentity | undefined;
  readonly baseDomain: string;
  readonly ts: number;
  readonly qname: string;
  readonly forwarded: boolean;
  /**
   * Bytes for this alert. `window` = cumulative totals of the (agent, base) windows, identified by id, so an
   * alert reports what left before it was raised too; `query` = this query's own bytes (no windows).
   */
  readonly bytes:
    | {
        readonly kind: 'window';
        readonly windowId: number;
        readonly leaked: number;
        readonly attempted: number;
      }
    | { readonly kind: 'query'; readonly leaked: number; readonly attempted: number };
}

interface Tracked {
  readonly alert: AlertState;
  /** Event time the evidence (features) was last copied: at most once a second unless escalating. */
  featuresTs: number;
  /** Window totals already counted into the alert, per window id. */
  windowId: number;
  windowLeaked: number;
  windowAttempted: number;
}

export interface AlertBookOptions {
  readonly suppressionWindowMs: number;
  readonly maxSamples: number;
  readonly maxOpen: number;
}

/** Same-severity evidence is refreshed at most this often (event time): a tunnel fires on every query. */
const FEATURE_REFRESH_MS = 1000;

export class AlertBook {
  private readonly open: Lru<string, Tracked>;
  private readonly changed = new Map<number, AlertState>();
  private readonly all: AlertState[] = [];
  private mutes: readonly Mute[] = [];
  private nextId = 1;
  /** Alert keys of the last (agent, base domain) by rule: a key built anew would be hashed on every lookup. */
  private lastAgentId = '';
  private lastBaseDomain = '';
  private readonly lastKeys = new Map<string, string>();

  constructor(private readonly options: AlertBookOptions) {
    this.open = new Lru(options.maxOpen);
  }

  setMutes(mutes: readonly Mute[]): void {
    this.mutes = mutes;
  }

  /** Continues dedupe across a restart: alerts still inside the suppression window are updated, not duplicated. */
  seed(alerts: readonly AlertState[]): void {
    for (const alert of alerts) {
      this.open.set(keyOf(alert.agentId, alert.baseDomain, alert.rule), {
        alert,
        featuresTs: alert.lastSeenMs,
        windowId: -1,
        windowLeaked: 0,
        windowAttempted: 0,
      });
    }
  }

  record(obs: Observation): AlertState {
    const key = this.keyFor(obs);
    const tracked = this.open.get(key);
    if (tracked !== undefined && obs.ts - tracked.alert.lastSeenMs <= this.options.suppressionWindowMs) {
      this.update(tracked, obs);
      this.changed.set(tracked.alert.localId, tracked.alert);
      return tracked.alert;
    }
    const created = this.create(obs);
    this.open.set(key, created);
    this.all.push(created.alert);
    this.changed.set(created.alert.localId, created.alert);
    return created.alert;
  }

  /** Alerts created or updated since the last call, in creation order. */
  takeChanges(): AlertState[] {
    const out = [...this.changed.values()].sort((a, b) => a.localId - b.localId);
    this.changed.clear();
    return out;
  }

  /** Every alert this book created (replay output). Bounded by the caller's run, not by maxOpen. */
  allAlerts(): readonly AlertState[] {
    return this.all;
  }

  get openCount(): number {
    return this.open.size;
  }

  /** Bound the replay list too when the engine runs for a long time in a server. */
  forgetHistory(): void {
    this.all.length = 0;
  }

  private keyFor(obs: Observation): string {
    if (obs.agentId !== this.lastAgentId || obs.baseDomain !== this.lastBaseDomain) {
      this.lastAgentId = obs.agentId;
      this.lastBaseDomain = obs.baseDomain;
      this.lastKeys.clear();
    }
    let key = this.lastKeys.get(obs.rule);
    if (key === undefined) {
      key = keyOf(obs.agentId, obs.baseDomain, obs.rule);
      this.lastKeys.set(obs.rule, key);
    }
    return key;
  }

  private create(obs: Observation): Tracked {
    const mute = this.mutes.find((m) => muteMatches(m, obs.agentId, obs.baseDomain, obs.ts));
    const alert: AlertState = {
      localId: this.nextId++,
      dbId: null,
      rule: obs.rule,
      severity: obs.severity,
      agentId: obs.agentId,
      group: obs.group,
      clientIp: obs.clientIp,
      podIdentity: obs.podIdentity,
      baseDomain: obs.baseDomain,
      firstSeenMs: obs.ts,
      lastSeenMs: obs.ts,
      count: 1,
      score: obs.score,
      exposure: obs.forwarded ? 'forwarded' : 'blocked',
      bytesLeaked: Math.round(obs.bytes.leaked),
      bytesAttempted: Math.round(obs.bytes.attempted),
      samples: [obs.qname],
      features: { ...obs.features },
      status: mute ? 'muted' : 'open',
      statusReason: mute ? mute.reason : null,
      mutedUntilMs: mute ? mute.untilMs : null,
    };
    if (obs.bytes.kind === 'window') {
      alert.features.bytesBeforeAlert = Math.round(obs.bytes.leaked);
      return {
        alert,
        featuresTs: obs.ts,
        windowId: obs.bytes.windowId,
        windowLeaked: obs.bytes.leaked,
        windowAttempted: obs.bytes.attempted,
      };
    }
    return { alert, featuresTs: obs.ts, windowId: -1, windowLeaked: 0, windowAttempted: 0 };
  }

  private update(tracked: Tracked, obs: Observation): void {
    const { alert } = tracked;
    if (obs.ts > alert.lastSeenMs) alert.lastSeenMs = obs.ts;
    alert.count++;
    alert.group = obs.group;
    alert.clientIp = obs.clientIp;
    alert.podIdentity = obs.podIdentity;
    if (obs.score > alert.score) alert.score = obs.score;
    const rank = severityRank(obs.severity);
    const current = severityRank(alert.severity);
    if (rank > current || (rank === current && obs.ts - tracked.featuresTs >= FEATURE_REFRESH_MS)) {
      // escalate, and keep the evidence of the strongest (latest at that level) finding
      const before = alert.features.bytesBeforeAlert;
      alert.severity = obs.severity;
      alert.features = { ...obs.features };
      if (before !== undefined) alert.features.bytesBeforeAlert = before;
      tracked.featuresTs = obs.ts;
    }
    if (obs.forwarded) alert.exposure = 'forwarded';
    if (alert.samples.length < this.options.maxSamples && !alert.samples.includes(obs.qname)) {
      alert.samples.push(obs.qname);
    }
    const b = obs.bytes;
    if (b.kind === 'query') {
      alert.bytesLeaked += Math.round(b.leaked);
      alert.bytesAttempted += Math.round(b.attempted);
    } else if (b.windowId === tracked.windowId) {
      alert.bytesLeaked += Math.round(b.leaked - tracked.windowLeaked);
      alert.bytesAttempted += Math.round(b.attempted - tracked.windowAttempted);
      tracked.windowLeaked = b.leaked;
      tracked.windowAttempted = b.attempted;
    } else {
      // windows were rebuilt (evicted or expired) since: their totals are all new to this alert
      alert.bytesLeaked += Math.round(b.leaked);
      alert.bytesAttempted += Math.round(b.attempted);
      tracked.windowId = b.windowId;
      tracked.windowLeaked = b.leaked;
      tracked.windowAttempted = b.attempted;
    }
    if (alert.bytesLeaked > 0) alert.exposure = 'forwarded';
  }
}

function keyOf(agentId: string, baseDomain: string, rule: string): string {
  return `${agentId}\u0000${baseDomain}\u0000${rule}`;
}

/** A mute applies to a base domain equal to or below its domain, and/or to its agent, until it expires. */
export function muteMatches(mute: Mute, agentId: string, baseDomain: string, ts: number): boolean {
  if (mute.untilMs !== null && ts > mute.untilMs) return false;
  if (mute.agentId !== null && mute.agentId !== agentId) return false;
  if (mute.domain !== null && baseDomain !== mute.domain && !baseDomain.endsWith(`.${mute.domain}`))
    return false;
  return mute.agentId !== null || mute.domain !== null;
}
