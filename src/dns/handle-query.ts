// THE query pipeline, in order. Deny happens before any cache or upstream touch: the order is the guarantee.
import type { Agent } from '../model/agent.js';
import type { Client, Query } from '../model/query.js';
import type { AnsweredBy, EventDecision, QueryEvent } from '../model/query-event.js';
import { answerForClient } from './answer-wire.js';
import { cacheKey, type AnswerCache, type CachedAnswer } from './cache.js';
import { CLASS_IN, qtypeName, RCODE, rcodeName } from './codes.js';
import type { PolicyHolder } from './policy-holder.js';
import { headerOnly, type ResponseBuilder } from './responses.js';
import type { UpstreamRouter } from './upstream-router.js';
import { HEADER_BYTES, parseQuery } from './wire.js';

export type Reply = (response: Buffer, client: Client) => void;

export interface PipelineCounters {
  /** Messages with no readable header (or responses sent to us): nothing to answer. */
  dropped: number;
  formerr: number;
  servfail: number;
}

export interface PipelineDeps {
  readonly policy: PolicyHolder;
  readonly cache: AnswerCache;
  readonly router: UpstreamRouter;
  readonly responses: ResponseBuilder;
  readonly events: { offer(event: QueryEvent): void };
  /** Cap on the UDP size a client may advertise. */
  readonly maxUdpPayload: number;
}

interface Outcome {
  decision: EventDecision;
  reason: string;
  ruleId: string;
  answeredBy: AnsweredBy;
  upstream: string | null;
}

export class QueryPipeline {
  readonly counters: PipelineCounters = { dropped: 0, formerr: 0, servfail: 0 };

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
    if (parsed.kind !== 'query') {
      const rcode = parsed.kind === 'formerr' ? RCODE.FORMERR : RCODE.NOTIMP;
      if (parsed.kind === 'formerr') this.counters.formerr++;
      const reason = parsed.kind === 'formerr' ? parsed.reason : `opcode ${parsed.opcode}`;
      const decision = parsed.kind === 'formerr' ? 'malformed' : 'not-implemented';
      this.send(msg, null, client, reply, headerOnly(msg, rcode), agent, arrived, ts, {
        decision,
        reason,
        ruleId: 'listener',
        answeredBy: 'listener',
        upstream: null,
      });
      return;
    }
    const query = parsed.query;
    if (query.qclass !== CLASS_IN) {
      const out = this.deps.responses.questionOnly(msg, query, RCODE.REFUSED);
      this.send(msg, query, client, reply, out, agent, arrived, ts, {
        decision: 'refused-class',
        reason: `class ${query.qclass}`,
        ruleId: 'listener',
        answeredBy: 'listener',
        upstream: null,
      });
      return;
    }
    // 3. policy: allow, deny or (audit) would-deny; a denied name is answered here and never forwarded
    const decision = policy.decide(agent, query.name, query.qtype, ts);
    const outcome: Outcome = {
      decision: decision.kind,
      reason: decision.reason,
      ruleId: decision.ruleId,
      answeredBy: 'policy',
      upstream: null,
    };
    if (decision.kind === 'deny') {
      const out = this.deps.responses.deny(msg, query, RCODE[decision.rcode]);
      this.send(msg, query, client, reply, out, agent, arrived, ts, outcome);
      return;
    }
    // 4. cache: answers kept encoded; ID, question case and TTLs patched per client
    const key = cacheKey(query);
    const hit = this.deps.cache.get(key, ts);
    if (hit) {
      outcome.answeredBy = 'cache';
      outcome.upstream = hit.upstream;
      this.send(msg, query, client, reply, answerForClient(msg, query, hit, ts), agent, arrived, ts, outcome);
      return;
    }
    // 5. upstream: conditional forwarding, failover, then SERVFAIL
    this.deps.router.resolve(msg, query).then(
      ({ answer, upstream }) => {
        const now = Date.now();
        const stored: CachedAnswer = this.deps.cache.set(key, answer, upstream.label, now) ?? {
          wire: answer.wire,
          ttlOffsets: answer.ttlOffsets,
          ttls: [],
          storedAt: now,
          expiresAt: now,
          rcode: answer.rcode,
          answerCount: answer.answerCount,
          upstream: upstream.label,
        };
        outcome.answeredBy = 'upstream';
        outcome.upstream = upstream.label;
        this.send(
          msg,
          query,
          client,
          reply,
          answerForClient(msg, query, stored, now),
          agent,
          arrived,
          ts,
          outcome,
        );
      },
      () => {
        this.counters.servfail++;
        outcome.reason = `${outcome.reason}; upstream failed`;
        const out = this.deps.responses.questionOnly(msg, query, RCODE.SERVFAIL);
        this.send(msg, query, client, reply, out, agent, arrived, ts, outcome);
      },
    );
  }

  /** 6. send (truncating for UDP), then 7. offer the event: consumers never delay an answer. */
  private send(
    msg: Buffer,
    query: Query | null,
    client: Client,
    reply: Reply,
    response: Buffer,
    agent: Agent,
    arrived: number,
    ts: number,
    outcome: Outcome,
  ): void {
    let out = response;
    if (query && client.transport === 'udp') {
      const limit = query.ednsUdpSize > 0 ? Math.min(query.ednsUdpSize, this.deps.maxUdpPayload) : 512;
      if (out.length > limit)
        out = this.deps.responses.questionOnly(msg, query, out.readUInt16BE(2) & 0xf, 0, true);
    }
    reply(out, client);
    this.deps.events.offer({
      ts,
      transport: client.transport,
      clientIp: client.address,
      clientPort: client.port,
      agentId: agent.id,
      group: agent.group,
      tier: agent.tier,
      qname: query ? query.name : '',
      qtype: query ? qtypeName(query.qtype) : '',
      decision: outcome.decision,
      reason: outcome.reason,
      ruleId: outcome.ruleId,
      rcode: rcodeName(out.length >= HEADER_BYTES ? out.readUInt16BE(2) & 0xf : 0),
      upstream: outcome.upstream,
      cached: outcome.answeredBy === 'cache',
      answeredBy: outcome.answeredBy,
      latencyUs: Math.round((performance.now() - arrived) * 1000),
      reqBytes: msg.length,
      respBytes: out.length,
      answers: out.length >= HEADER_BYTES ? out.readUInt16BE(6) : 0,
    });
  }
}
