// The decide step of one message, shared by the server's pipeline and `dnsward replay`: parse, listener outcomes,
// class, identify, then guard + policy. Both callers answer from what it writes, so their verdicts cannot drift.
import { CLASS_IN } from '../lib/dns-codes.js';
import type { Agent } from '../model/agent.js';
import type { Decision } from '../model/decision.js';
import type { Query } from '../model/query.js';
import type { AnsweredBy, EventDecision } from '../model/query-event.js';
import type { Policy } from '../policy/compile.js';
import { decideQuery } from '../policy/decide-query.js';
import type { GroupPolicy } from '../policy/group-policy.js';
import type { Guard } from '../policy/guard.js';
import { parseQuery } from './wire.js';

/**
 * What the step decided, and so what the caller answers:
 * drop: nothing (no readable header, or a response); formerr / notimp: header-only FORMERR / NOTIMP;
 * badvers: BADVERS (EDNS version above 0); refused-class: REFUSED (class is not IN); policy: `verdict` says
 * (rate-limited, deny, or forward).
 */
export type Outcome = 'drop' | 'formerr' | 'notimp' | 'badvers' | 'refused-class' | 'policy';

/** The fields the step fills in: the pipeline's in-flight record is one, so a query allocates no second object. */
export interface Decided {
  agent: Agent;
  query: Query | null;
  decision: EventDecision;
  reason: string;
  ruleId: string;
  answeredBy: AnsweredBy;
  /** The agent's group; set from outcome 'policy' on. */
  group: GroupPolicy | null;
  /** Guard + policy's decision; set for outcome 'policy'. */
  verdict: Decision | null;
}

/** Stands in until identify runs (a dropped message is never attributed). */
const UNIDENTIFIED: Agent = Object.freeze({ id: '', group: '', tier: 1 });

/** One query's record, undecided yet: the server's in-flight record extends it, replay uses it as is. */
export class DecidedQuery implements Decided {
  agent = UNIDENTIFIED;
  query: Query | null = null;
  decision: EventDecision = 'malformed';
  reason = '';
  ruleId = 'listener';
  answeredBy: AnsweredBy = 'listener';
  group: GroupPolicy | null = null;
  verdict: Decision | null = null;
  /** Upstream "addr:port" that answered, once one did. */
  upstream: string | null = null;

  /** `ts`: epoch ms at arrival (capture time in replay). */
  constructor(readonly ts: number) {}
}

/** Fills `into` (left as it was for 'drop'). `now` is epoch ms: arrival time, or capture time in replay. */
export function decideMessage(
  msg: Buffer,
  address: string,
  policy: Policy,
  guard: Guard,
  now: number,
  into: Decided,
): Outcome {
  // 1. decode: the narrow wire reader; unreadable headers are dropped, bad questions get FORMERR
  const parsed = parseQuery(msg);
  if (parsed.kind === 'drop') return 'drop';
  // 2. identify: client address -> agent, even for bad messages, so they are attributed
  into.agent = policy.identify(address);
  into.answeredBy = 'listener';
  into.ruleId = 'listener';
  if (parsed.kind === 'formerr') {
    into.decision = 'malformed';
    into.reason = parsed.reason;
    return 'formerr';
  }
  if (parsed.kind === 'notimp') {
    into.decision = 'not-implemented';
    into.reason = `opcode ${parsed.opcode}`;
    return 'notimp';
  }
  const query = parsed.query;
  into.query = query;
  // RFC 6891 §6.1.3: this resolver speaks EDNS version 0 only; the client retries with it
  if (query.ednsVersion > 0) {
    into.decision = 'not-implemented';
    into.reason = `edns version ${query.ednsVersion}`;
    return 'badvers';
  }
  // CHAOS, HESIOD, ANY-class: this resolver serves the Internet class only, before policy sees the name
  if (query.qclass !== CLASS_IN) {
    into.decision = 'refused-class';
    into.reason = `class ${query.qclass}`;
    return 'refused-class';
  }
  // 3. guard + policy + budget: rate-limited, allow, deny or (audit) would-deny
  const group = policy.groupOf(into.agent);
  const verdict = decideQuery(group, guard, into.agent, query.name, query.qtype, now);
  into.group = group;
  into.verdict = verdict;
  into.decision = verdict.kind;
  into.reason = verdict.reason;
  into.ruleId = verdict.ruleId;
  into.answeredBy = 'policy';
  return 'policy';
}
