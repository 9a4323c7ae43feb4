// Sliding aggregates per (agent, base domain), per agent, and per base domain fleet-wide; all bounded.
import { hash53 } from '../lib/hash.js';
import { Lru } from '../lib/lru.js';
import { SlidingWindow } from './sliding-window.js';

export const MINUTE_MS = 60_000;
export const FIVE_MINUTES_MS = 300_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Channels of the 60 s window of a key. */
export const S = { uniq: 0, bytes: 1, dataUniq: 2 } as const;
/** Channels of the 5 min window of a key. */
export const L = {
  queries: 0,
  uniq: 1,
  lexSum: 2,
  bytes: 3,
  dataUniq: 4,
  dataAll: 5,
  nx: 6,
  answered: 7,
  nonLdh: 8,
  rare: 9,
  /** Bytes of the new subdomains' labels as sent (not charset-weighted): the encoding-blind volume. */
  raw: 10,
} as const;
/** Channels of the 24 h window of a key. */
export const D = { bytes: 0, leaked: 1, uniq: 2, lexSum: 3 } as const;

/** Everything the rules know about one agent talking to one registrable domain. */
const SHORT = [MINUTE_MS, 12, 3] as const;
const LONG = [FIVE_MINUTES_MS, 10, 11] as const;
const HOUR = [HOUR_MS, 12, 1] as const;
const DAY = [DAY_MS, 24, 4] as const;
const SHORT_AT = 0;
const LONG_AT = SHORT_AT + SlidingWindow.size(SHORT[1], SHORT[2]);
const HOUR_AT = LONG_AT + SlidingWindow.size(LONG[1], LONG[2]);
const DAY_AT = HOUR_AT + SlidingWindow.size(HOUR[1], HOUR[2]);
/** Doubles of one key's windows: about 2 KiB per (agent, base domain). */
export const KEY_WINDOW_DOUBLES = DAY_AT + SlidingWindow.size(DAY[1], DAY[2]);

export class KeyWindows {
  private readonly storage = new Float64Array(KEY_WINDOW_DOUBLES);
  readonly short = new SlidingWindow(...SHORT, this.storage, SHORT_AT);
  readonly long = new SlidingWindow(...LONG, this.storage, LONG_AT);
  /** Bytes of new subdomains in the last hour (single channel): the slow-but-steady budget. */
  readonly hour = new SlidingWindow(...HOUR, this.storage, HOUR_AT);
  readonly day = new SlidingWindow(...DAY, this.storage, DAY_AT);
  /** Charset-weighted bytes of new subdomains since this window set was created. */
  cumAttempted = 0;
  /** The forwarded share of cumAttempted: what actually left. */
  cumLeaked = 0;
  queries = 0;
  lastTs: number;
  /** The beacon series of this key's new subdomains; before its second name only the first one's time and shape. */
  beacon: BeaconTrack | null = null;
  firstNewTs = Number.NaN;
  firstNewShape = 0;

  constructor(
    /** Unique per creation: seeds the subdomain hashes and tells alerts that the window was rebuilt. */
    readonly id: number,
    readonly agentId: string,
    readonly base: string,
    readonly firstTs: number,
  ) {
    this.lastTs = firstTs;
  }

  /** Mean lexical score of the new subdomains in the last 5 minutes (0 when none). */
  meanLexical(ts: number): number {
    const n = this.long.sum(ts, L.uniq);
    return n > 0 ? this.long.sum(ts, L.lexSum) / n : 0;
  }

  meanLexicalDay(ts: number): number {
    const n = this.day.sum(ts, D.uniq);
    return n > 0 ? this.day.sum(ts, D.lexSum) / n : 0;
  }

  /** New subdomains per query over 5 minutes: ~1 for a tunnel, <= 0.5 for glibc A+AAAA pairs. */
  uniqueRatio(ts: number): number {
    const q = this.long.sum(ts, L.queries);
    return q > 0 ? this.long.sum(ts, L.uniq) / q : 0;
  }
}

/** Channels of an agent's spread window (new names carrying data, to domains it is not allowed to reach). */
export const SP = { raw: 0, lexSum: 1, names: 2 } as const;
/** Distinct domains an agent's spread keeps for its alert (newest first). */
const SPREAD_DOMAINS = 12;

/** Per-agent query rate with an EWMA per-minute baseline, and the agent's spread over denied domains. */
export class AgentWindows {
  readonly rate = new SlidingWindow(MINUTE_MS, 6, 1);
  /** 5 min of data-carrying new names to domains the agent may not reach (made on the first such name). */
  spread: SlidingWindow | null = null;
  /** The domains behind `spread`, newest first, each with its latest time (bounded). */
  readonly spreadDomains: { base: string; ts: number }[] = [];
  /** Queries the guard refused for this agent's rate limits, last minute. */
  readonly limited = new SlidingWindow(MINUTE_MS, 6, 1);
  /** Charset-weighted bytes of the spread since these windows were created, and the forwarded share. */
  spreadAttempted = 0;
  spreadLeaked = 0;
  baselinePerMinute = 0;
  minutesObserved = 0;
  lastTs: number;
  private minute: number;
  private minuteCount = 0;

  constructor(
    readonly agentId: string,
    firstTs: number,
    /** Unique per creation, from the key id sequence: an alert on the spread tracks its totals by it. */
    readonly spreadId: number,
  ) {
    this.lastTs = firstTs;
    this.minute = Math.floor(firstTs / MINUTE_MS);
  }

  /** Counts one query; folds completed minutes (including silent ones) into the baseline. */
  record(ts: number, alpha: number): void {
    const minute = Math.floor(ts / MINUTE_MS);
    if (minute > this.minute) {
      this.fold(this.minuteCount, alpha);
      const silent = Math.min(minute - this.minute - 1, 1000);
      for (let i = 0; i < silent; i++) this.fold(0, alpha);
      this.minute = minute;
      this.minuteCount = 0;
    }
    this.minuteCount++;
    this.rate.add(ts, 0);
    if (ts > this.lastTs) this.lastTs = ts;
  }

  /**
   * Notes a data-carrying name of `bytes` (its lexical `score`) under `base`; returns the distinct domains
   * seen within the window.
   */
  noteSpread(base: string, ts: number, bytes: number, score: number): number {
    const spread = (this.spread ??= new SlidingWindow(FIVE_MINUTES_MS, 10, 3));
    spread.add(ts, SP.raw, bytes);
    spread.add(ts, SP.lexSum, score);
    spread.add(ts, SP.names);
    const list = this.spreadDomains;
    const at = list.findIndex((d) => d.base === base);
    if (at >= 0) list.splice(at, 1);
    list.unshift({ base, ts });
    if (list.length > SPREAD_DOMAINS) list.length = SPREAD_DOMAINS;
    let recent = 0;
    for (const d of list) if (ts - d.ts < FIVE_MINUTES_MS) recent++;
    return recent;
  }

  private fold(count: number, alpha: number): void {
    this.baselinePerMinute =
      this.minutesObserved === 0 ? count : alpha * count + (1 - alpha) * this.baselinePerMinute;
    this.minutesObserved++;
  }
}

/**
 * The latest new subdomains of a key that share a stable part, with their arrival times (a bounded ring).
 * Created at a key's second such name, so the many one-name keys of ordinary traffic pay nothing for it.
 */
export class BeaconTrack {
  static readonly SIZE = 10;
  readonly times: number[];

  constructor(
    first: number,
    /** stablePart() of the latest name. */
    public shape: number,
  ) {
    this.times = [first];
  }

  /** Adds a time; the series restarts when the name's stable part differs from the previous one's. */
  add(ts: number, shape: number): void {
    if (shape !== this.shape) this.times.length = 0;
    this.shape = shape;
    this.times.push(ts);
    if (this.times.length > BeaconTrack.SIZE) this.times.shift();
  }

  /** Mean interval (ms) and its coefficient of variation over the series; null below 3 points. */
  regularity(): { meanMs: number; cv: number } | null {
    const t = this.times;
    if (t.length < 3) return null;
    const n = t.length - 1;
    const meanMs = ((t[n] ?? 0) - (t[0] ?? 0)) / n;
    if (meanMs <= 0) return null;
    let sq = 0;
    for (let i = 1; i <= n; i++) sq += ((t[i] ?? 0) - (t[i - 1] ?? 0) - meanMs) ** 2;
    return { meanMs, cv: Math.sqrt(sq / n) / meanMs };
  }
}

/**
 * The part of a subdomain a beacon keeps while its counter or id changes, as a hash: the labels after the
 * first ("5ac319-7.status" -> ".status"), or for a single label its first 4 characters.
 */
export function stablePart(subdomain: string): number {
  const dot = subdomain.indexOf('.');
  return dot < 0 ? hash53(subdomain.slice(0, 4), 1) : hash53(subdomain.slice(dot), 2);
}

/** Fleet-wide view of one registrable domain. */
export class DomainWindows {
  /** A few distinct agents seen (capped): evidence of spread. */
  readonly agents: string[] = [];
  agentsOverflow = false;
  queries = 0;
  lastTs: number;

  constructor(
    readonly base: string,
    readonly firstSeen: number,
  ) {
    this.lastTs = firstSeen;
  }

  noteAgent(agentId: string): void {
    if (this.agents.includes(agentId)) return;
    if (this.agents.length < 8) this.agents.push(agentId);
    else this.agentsOverflow = true;
  }
}

export interface StoreStats {
  readonly keys: number;
  readonly agents: number;
  readonly domains: number;
  readonly recentNames: number;
  readonly keyEvictions: number;
  readonly recentNameEvictions: number;
}

export interface StateLimits {
  readonly maxKeys: number;
  readonly maxAgents: number;
  readonly maxDomains: number;
  readonly maxRecentNames: number;
  readonly recentNameTtlMs: number;
  readonly idleExpiryMs: number;
}

/** Every table the engine keeps, each with a hard cap; idle entries start over when next touched. */
export class WindowStore {
  readonly keys: Lru<string, KeyWindows>;
  readonly agents: Lru<string, AgentWindows>;
  readonly domains: Lru<string, DomainWindows>;
  /** hash(key id, subdomain) -> last seen ms: decides "new unique subdomain". */
  readonly recentNames: Lru<number, number>;
  private nextKeyId = 1;
  /** The last key looked up, and its id `agent\0base`: consecutive queries mostly share agent and base. */
  private lastKeyAgent = '';
  private lastKeyBase = '';
  private lastKeyId = '\u0000';

  constructor(private readonly limits: StateLimits) {
    this.keys = new Lru(limits.maxKeys);
    this.agents = new Lru(limits.maxAgents);
    this.domains = new Lru(limits.maxDomains);
    this.recentNames = new Lru(limits.maxRecentNames);
  }

  key(agentId: string, base: string, ts: number): KeyWindows {
    // an id string built anew would be hashed on every lookup (the bulk of a lookup's cost)
    if (agentId !== this.lastKeyAgent || base !== this.lastKeyBase) {
      this.lastKeyAgent = agentId;
      this.lastKeyBase = base;
      this.lastKeyId = `${agentId}\u0000${base}`;
    }
    const id = this.lastKeyId;
    let key = this.keys.get(id);
    // an idle window starts over: its old counts say nothing about the present
    if (key === undefined || ts - key.lastTs > this.limits.idleExpiryMs) {
      key = new KeyWindows(this.nextKeyId++, agentId, base, ts);
      this.keys.set(id, key);
    }
    if (ts > key.lastTs) key.lastTs = ts;
    return key;
  }

  agent(agentId: string, ts: number): AgentWindows {
    let agent = this.agents.get(agentId);
    if (agent === undefined || ts - agent.lastTs > Math.max(this.limits.idleExpiryMs, DAY_MS)) {
      agent = new AgentWindows(agentId, ts, this.nextKeyId++);
      this.agents.set(agentId, agent);
    }
    return agent;
  }

  domain(base: string, ts: number): DomainWindows {
    let domain = this.domains.get(base);
    if (domain === undefined) {
      domain = new DomainWindows(base, ts);
      this.domains.set(base, domain);
    }
    if (ts > domain.lastTs) domain.lastTs = ts;
    domain.queries++;
    return domain;
  }

  /** True the first time `subdomain` is seen for `key` (or again after the TTL); refreshes it either way. */
  isNewSubdomain(key: KeyWindows, subdomain: string, ts: number): boolean {
    // a 30-bit key stays a V8 small integer (no heap number per entry); at the default 200k entries a new
    // name is mistaken for a seen one with probability ~2e-4, which only undercounts by that fraction
    const h = hash53(subdomain, key.id) & 0x3fffffff;
    const seen = this.recentNames.get(h);
    this.recentNames.set(h, ts);
    return seen === undefined || ts - seen > this.limits.recentNameTtlMs;
  }

  stats(): StoreStats {
    return {
      keys: this.keys.size,
      agents: this.agents.size,
      domains: this.domains.size,
      recentNames: this.recentNames.size,
      keyEvictions: this.keys.evictions,
      recentNameEvictions: this.recentNames.evictions,
    };
  }
}
