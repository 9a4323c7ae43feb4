// THE query pipeline, in order. Deny happens before any cache or upstream touch: the order is the guarantee.
import type { DnsTap } from '../model/dns-tap.js';
import type { Client, Query } from '../model/query.js';
import { queryEvent, type QueryEvent } from '../model/query-event.js';
import type { Policy } from '../policy/compile.js';
import type { GroupPolicy } from '../policy/group-policy.js';
import type { Guard } from '../policy/guard.js';
import { answerForClient } from './answer-wire.js';
import { cacheVariant, toCachedAnswer, type AnswerCache, type CachedAnswer } from './cache.js';
import { qtypeName, RCODE, rcodeName } from '../lib/dns-codes.js';
import { decideMessage, DecidedQuery } from './decide-message.js';
import type { RebindingGuard } from './rebinding-guard.js';
import { denialRcode, headerOnly, type ResponseBuilder } from './responses.js';
import { truncateAnswer } from './truncate.js';
import type { UpstreamRouter } from './upstream-router.js';
import { HEADER_BYTES } from './wire.js';

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
  /** The policy in force: read once per query, so a reload's swap is atomic for it. */
  readonly policy: { readonly current: Policy };
  readonly guard: Guard;
  readonly cache: AnswerCache;
  readonly router: UpstreamRouter;
  readonly rebinding: RebindingGuard;
  readonly responses: ResponseBuilder;
  readonly events: { offer(event: QueryEvent): void };
  /** Cap on the UDP size a client may advertise. */
  readonly maxUdpPayload: number;
  /** dnstap: the wire messages of every client exchange, after the reply left. */
  readonly tap?: DnsTap | undefined;
}

/** One query in flight: what arrived, who asked, and what has been decided so far (one object per query). */
class InFlight extends DecidedQuery {
  constructor(
    readonly msg: Buffer,
    readonly client: Client,
    readonly reply: Reply,
    /** performance.now() at arrival, for latencyUs. */
    readonly arrived: number,
    ts: number,
  ) {
    super(ts);
  }

  /** The cached answer sent, if any (its addresses feed the egress answer sets). */
  sent: CachedAnswer | undefined = undefined;
}

export class QueryPipeline {
  readonly counters: PipelineCounters = { dropped: 0, formerr: 0, servfail: 0, rateLimitDrops: 0 };

  constructor(private readonly deps: PipelineDeps) {}

  /**
   * Never throws: every failure becomes FORMERR/SERVFAIL or a counted drop. `arrived` (performance.now()) and
   * `ts` (epoch ms) are when the message arrived: a batch of datagrams read together shares one reading.
   */
  handle(msg: Buffer, client: Client, reply: Reply, arrived = performance.now(), ts = Date.now()): void {
    const q = new InFlight(msg, client, reply, arrived, ts);
    // 1-3. decode, identify, class, guard + policy: the decide step replay runs too
    const outcome = decideMessage(msg, client.address, this.deps.policy.current, this.deps.guard, ts, q);
    if (outcome === 'drop') {
      this.counters.dropped++;
      return;
    }
    if (outcome === 'formerr' || outcome === 'notimp') {
      if (outcome === 'formerr') this.counters.formerr++;
      this.send(q, headerOnly(msg, outcome === 'formerr' ? RCODE.FORMERR : RCODE.NOTIMP));
      return;
    }
    const { query, group, verdict } = q;
    if (!query) return; // every other outcome has parsed the question
    if (outcome === 'badvers') {
      this.send(q, this.deps.responses.badVersion(msg, query));
      return;
    }
    if (outcome === 'refused-class' || !group || !verdict) {
      this.send(q, this.deps.responses.questionOnly(msg, query, RCODE.REFUSED));
      return;
    }
    if (verdict.kind === 'rate-limited') {
      if (verdict.action === 'drop') this.counters.rateLimitDrops++;
      this.send(
        q,
        verdict.action === 'drop' ? null : this.deps.responses.questionOnly(msg, query, RCODE.REFUSED),
      );
      return;
    }
    // a denied name is answered here and never forwarded
    if (verdict.kind === 'deny') {
      const rcode = denialRcode(verdict.rcode, verdict.reason, query.name);
      this.send(q, this.deps.responses.deny(msg, query, RCODE[rcode]));
      return;
    }
    // 4. cache: answers kept encoded; ID, question case and TTLs patched per client
    const variant = cacheVariant(query);
    const hit = this.deps.cache.get(query.name, variant, ts);
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
          this.deps.cache.set(query.name, variant, answer, routed.upstream.label, now) ??
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
        const rcode = denialRcode(group.denyRcode, q.reason, query.name);
        this.send(q, this.deps.responses.deny(q.msg, query, RCODE[rcode]));
        return;
      }
    }
    const out = answerForClient(q.msg, query, answer, q.ts);
    if (group.guard.maxAnswerBytes !== undefined && out.length > group.guard.maxAnswerBytes) {
      this.fail(q, query, 'answer-too-large');
      return;
    }
    q.sent = answer;
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
      if (out.length > limit) out = truncateAnswer(out, query, limit);
    }
    if (out) q.reply(out, client);
    this.deps.tap?.client({
      transport: client.transport,
      clientIp: client.address,
      clientPort: client.port,
      queryTimeMs: performance.timeOrigin + q.arrived,
      responseTimeMs: performance.timeOrigin + performance.now(),
      query: msg,
      response: out,
      agentId: q.agent.id,
      group: q.agent.group,
      decision: q.decision,
      ruleId: q.ruleId,
    });
    const event = queryEvent(
      q,
      client,
      query ? query.name : '',
      query ? qtypeName(query.qtype) : '',
      out && out.length >= HEADER_BYTES ? rcodeName(out.readUInt16BE(2) & 0xf) : 'NONE',
      Math.round((performance.now() - q.arrived) * 1000),
      msg.length,
      out,
    );
    // a truncated reply carried no addresses; set on every event so all events keep one shape
    const sent = out === response ? q.sent : undefined;
    event.answerAddresses = sent?.addresses;
    event.answerTtl = sent && sent.addressTtl - Math.floor(Math.max(0, q.ts - sent.storedAt) / 1000);
    this.deps.events.offer(event);
  }
}
