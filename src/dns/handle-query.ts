// THE query pipeline, in order. Deny happens before any cache or upstream touch: the order is the guarantee.
import type { Agent } from '../model/agent.js';
import type { Client, Query } from '../model/query.js';
import type { AnsweredBy, EventDecision, QueryEvent } from '../model/query-event.js';
import { decideQuery } from '../policy/decide-query.js';
import type { GroupPolicy } from '../policy/group-policy.js';
import type { Guard } from '../policy/guard.js';
import { answerForClient } from './answer-wire.js';
import { cacheKey, toCachedAnswer, type AnswerCache, type CachedAnswer } from './cache.js';
import { CLASS_IN, qtypeName, RCODE, rcodeName } from '../lib/dns-codes.js';
import type { PolicyHolder } from './policy-holder.js';
import type { RebindingGuard } from './rebinding-guard.js';
import { headerOnly, type ResponseBuilder } from './responses.js';
import type { UpstreamRouter } from './upstream-router.js';
import { HEADER_BYTES, parseQuery } from './wire.js';

export type Reply = (response: Buffer, client: Client) => void;

export interface PipelineCounters {
  /** Messages with no readable header (or responses sent to us): nothing to answer. */
  dropped: number;
  formerr: number;
  servfail: number;
  /** Rate-limited queries that got no answer (action: drop). */
  rateLimitDrops: number;
}

export interface PipelineDeps {
  readonly policy: PolicyHolder;
  readonly guard: Guard;
  readonly cache: AnswerCache;
  readonly router: UpstreamRouter;
  readonly rebinding: RebindingGuard;
  readonly responses: ResponseBuilder;
  readonly events: { offer(event: QueryEvent): void };
  /** Cap on the UDP size a client may advertise. */
  readonly maxUdpPayload: number;
}

/** One query in flight: what arrived, who asked, and what has been decided so far (one object per query). */
interface InFlight {
  readonly msg: Buffer;
  readonly client: Client;
  readonly reply: Reply;
  readonly agent: Agent;
  /** performance.now() at arrival, for latencyUs. */
  readonly arrived: number;
  /** Epoch ms at arrival. */
  readonly ts: number;
  readonly query: Query | null;
  decision: EventDecision;
  reason: string;
  ruleId: string;
  answeredBy: AnsweredBy;
  upstream: string | null;
}

export class QueryPipeline {
  readonly counters: PipelineCounters = { dropped: 0, formerr: 0, servfail: 0, rateLimitDrops: 0 };

  constructor(private readonly deps: PipelineDeps) {}

  /** Never throws: every failure becomes FORMERR/SERVFAIL or a counted drop. */
  handle(msg: Buffer, client: Client, reply: Reply): void {
    const arrived = performance.now();
    const ts = Date.now();
    // 1. decode: the narrow wire reader; unreadable headers are dropped, bad questions get FORMERR
    const parsed = parseQuery(msg);
    const policy = this.deps.policy.current;
    if (parsed.kind === 'drop') {
      this.counters.dropped++;
      return;
    }
    // 2. identify: client address -> agent, even for bad messages, so they are attributed
    const agent = policy.identify(client.address);
    const q: InFlight = {
      msg,
      client,
      reply,
      agent,
      arrived,
      ts,
      query: parsed.kind === 'query' ? parsed.query : null,
      decision: 'malformed',
      reason: '',
      ruleId: 'listener',
      answeredBy: 'listener',
      upstream: null,
    };
    if (parsed.kind !== 'query') {
      const formerr = parsed.kind === 'formerr';
      if (formerr) this.counters.formerr++;
      q.decision = formerr ? 'malformed' : 'not-implemented';
      q.reason = formerr ? parsed.reason : `opcode ${parsed.opcode}`;
      this.send(q, headerOnly(msg, formerr ? RCODE.FORMERR : RCODE.NOTIMP));
      return;
    }
    const query = parsed.query;
    if (query.qclass !== CLASS_IN) {
      q.decision = 'refused-class';
      q.reason = `class ${query.qclass}`;
      this.send(q, this.deps.responses.questionOnly(msg, query, RCODE.REFUSED));
      return;
    }
    const group = policy.groupOf(agent);
    // 3. guard + policy + budget: rate-limited, allow, deny or (audit) would-deny
    const decision = decideQuery(group, this.deps.guard, agent, query.name, query.qtype, ts);
    q.decision = decision.kind;
    q.reason = decision.reason;
    q.ruleId = decision.ruleId;
    q.answeredBy = 'policy';
    if (decision.kind === 'rate-limited') {
      if (decision.action === 'drop') this.counters.rateLimitDrops++;
      this.send(
        q,
        decision.action === 'drop' ? null : this.deps.responses.questionOnly(msg, query, RCODE.REFUSED),
      );
      return;
    }
    // a denied name is answered here and never forwarded
    if (decision.kind === 'deny') {
      this.send(q, this.deps.responses.deny(msg, query, RCODE[decision.rcode]));
      return;
    }
    // 4. cache: answers kept encoded; ID, question case and TTLs patched per client
    const key = cacheKey(query);
    const hit = this.deps.cache.get(key, ts);
    if (hit) {
      q.answeredBy = 'cache';
      q.upstream = hit.upstream;
      this.answer(q, query, hit, group);
      return;
    }
    // 5. upstream: conditional forwarding, failover, then SERVFAIL; rebinding answers stripped before caching
    this.deps.router.resolve(msg, query).then(
      (routed) => {
        const now = Date.now();
        q.answeredBy = 'upstream';
        q.upstream = routed.upstream.label;
        const answer = this.deps.rebinding.check(query.name, routed.answer, query.questionEnd);
        if (!answer) {
          this.fail(q, query, 'answer could not be checked');
          return;
        }
        const stored =
          this.deps.cache.set(key, answer, routed.upstream.label, now) ??
          toCachedAnswer(answer, routed.upstream.label, now);
        this.answer(q, query, stored, group);
      },
      () => this.fail(q, query, 'upstream failed'),
    );
  }

  /** 6. answer checks per group: CNAME targets must be allowed too (when required), size cap. */
  private answer(q: InFlight, query: Query, answer: CachedAnswer, group: GroupPolicy): void {
    if (group.guard.cnames === 'require-allowed') {
      const blocked = answer.cnameTargets.find((target) => !group.allows(target, q.ts));
      if (blocked !== undefined) {
        q.decision = 'deny';
        q.reason = `cname-not-allowed ${blocked}`;
        q.ruleId = `${group.name}/cnames`;
        this.send(q, this.deps.responses.deny(q.msg, query, RCODE[group.denyRcode]));
        return;
      }
    }
    const out = answerForClient(q.msg, query, answer, q.ts);
    if (group.guard.maxAnswerBytes !== undefined && out.length > group.guard.maxAnswerBytes) {
      this.fail(q, query, 'answer-too-large');
      return;
    }
    this.send(q, out);
  }

  private fail(q: InFlight, query: Query, why: string): void {
    this.counters.servfail++;
    q.reason = `${q.reason}; ${why}`;
    this.send(q, this.deps.responses.questionOnly(q.msg, query, RCODE.SERVFAIL));
  }

  /** 7. send (truncating for UDP; null = no answer), then 8. offer the event: consumers never delay an answer. */
  private send(q: InFlight, response: Buffer | null): void {
    const { msg, query, client } = q;
    let out = response;
    if (out && query && client.transport === 'udp') {
      const limit = query.ednsUdpSize > 0 ? Math.min(query.ednsUdpSize, this.deps.maxUdpPayload) : 512;
      if (out.length > limit)
        out = this.deps.responses.questionOnly(msg, query, out.readUInt16BE(2) & 0xf, 0, true);
    }
    if (out) q.reply(out, client);
    this.deps.events.offer({
      ts: q.ts,
      transport: client.transport,
      clientIp: client.address,
      clientPort: client.port,
      agentId: q.agent.id,
      group: q.agent.group,
      tier: q.agent.tier,
      qname: query ? query.name : '',
      qtype: query ? qtypeName(query.qtype) : '',
      decision: q.decision,
      reason: q.reason,
      ruleId: q.ruleId,
      rcode: out && out.length >= HEADER_BYTES ? rcodeName(out.readUInt16BE(2) & 0xf) : 'NONE',
      upstream: q.upstream,
      cached: q.answeredBy === 'cache',
      answeredBy: q.answeredBy,
      latencyUs: Math.round((performance.now() - q.arrived) * 1000),
      reqBytes: msg.length,
      respBytes: out ? out.length : 0,
      answers: out && out.length >= HEADER_BYTES ? out.readUInt16BE(6) : 0,
      namespace: q.agent.pod?.namespace ?? null,
      pod: q.agent.pod?.pod ?? null,
      podUid: q.agent.pod?.podUid ?? null,
      serviceAccount: q.agent.pod?.serviceAccount ?? null,
    });
  }
}
