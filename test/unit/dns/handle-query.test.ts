// QueryPipeline over fake deps, one row a query, in order: pins the order that is the security guarantee (class,
// then guard, then policy, and only then cache and upstream; CNAME and rebinding checks after the upstream).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import { AnswerCache } from '../../../src/dns/cache.js';
import { QueryPipeline } from '../../../src/dns/handle-query.js';
import { RebindingGuard } from '../../../src/dns/rebinding-guard.js';
import { ResponseBuilder } from '../../../src/dns/responses.js';
import { readUpstreamAnswer } from '../../../src/dns/upstream-answer.js';
import type { UpstreamRouter } from '../../../src/dns/upstream-router.js';
import { rcodeName } from '../../../src/lib/dns-codes.js';
import type { QueryEvent } from '../../../src/model/query-event.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { Guard } from '../../../src/policy/guard.js';

const ALLOWED = ['api.example.com', '*.cdn.example.net', 'cname-src.example.com'];
/** Line of ALLOWED[i] in the allowlist file written below ("entries:" on line 1, four lines an entry). */
const entryRule = (i: number): string => `agents.yaml:${2 + 4 * i} ${ALLOWED[i] ?? ''}`;

const group = (
  name: string,
  subnet: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  name,
  tier: 3,
  clients: [`10.0.${subnet}.0/24`],
  allowlists: ['agents.yaml'],
  ...extra,
});

const CONFIG = {
  identity: { defaultGroup: 'unknown' },
  groups: [
    group('agents', 1),
    group('limited', 2, { rateLimit: { qps: 0.001, burst: 1 } }),
    group('strict', 3, { cnames: 'require-allowed' }),
    group('audit', 4, { mode: 'audit' }),
    group('zero', 5, { tier: 1, allowlists: [] }),
  ],
};

/** What the fake upstream answers per name: records, or a failure. Names not here must never reach it. */
const UPSTREAM: Record<string, dnsPacket.Answer[] | 'fail'> = {
  'api.example.com': [{ type: 'A', name: 'api.example.com', ttl: 300, data: '192.0.2.1' }],
  'cname-src.example.com': [
    { type: 'CNAME', name: 'cname-src.example.com', ttl: 300, data: 'target.elsewhere.org' },
    { type: 'A', name: 'target.elsewhere.org', ttl: 300, data: '192.0.2.2' },
  ],
  'evil.example.org': [{ type: 'A', name: 'evil.example.org', ttl: 300, data: '192.0.2.3' }],
  'internal.cdn.example.net': [{ type: 'A', name: 'internal.cdn.example.net', ttl: 300, data: '10.1.2.3' }],
  'down.cdn.example.net': 'fail',
};

interface Row {
  readonly why: string;
  readonly client: string;
  readonly qname: string;
  readonly qtype?: dnsPacket.RecordType;
  readonly qclass?: dnsPacket.RecordClass;
  /** Raw message instead of a query for qname. */
  readonly raw?: Buffer;
  readonly rcode: string;
  readonly decision: QueryEvent['decision'];
  readonly ruleId: string;
  readonly answeredBy: QueryEvent['answeredBy'];
  /** Upstream calls this row makes (0: answered before any upstream touch). */
  readonly upstreamCalls: number;
  readonly answers?: number;
}

const twoQuestions = (): Buffer => {
  const msg = dnsPacket.encode({ id: 9, type: 'query', questions: [{ type: 'A', name: 'a.example.com' }] });
  msg.writeUInt16BE(2, 4);
  return msg;
};

const ROWS: readonly Row[] = [
  {
    why: 'allowed: forwarded',
    client: '10.0.1.5',
    qname: 'api.example.com',
    rcode: 'NOERROR',
    decision: 'allow',
    ruleId: entryRule(0),
    answeredBy: 'upstream',
    upstreamCalls: 1,
    answers: 1,
  },
  {
    why: 'allowed again: from the cache',
    client: '10.0.1.6',
    qname: 'api.example.com',
    rcode: 'NOERROR',
    decision: 'allow',
    ruleId: entryRule(0),
    answeredBy: 'cache',
    upstreamCalls: 0,
    answers: 1,
  },
  {
    why: 'not listed: denied, never forwarded',
    client: '10.0.1.5',
    qname: 'evil.example.org',
    rcode: 'NXDOMAIN',
    decision: 'deny',
    ruleId: 'agents/default-deny',
    answeredBy: 'policy',
    upstreamCalls: 0,
  },
  {
    why: 'L3: listed name, qtype outside the tier: denied with NODATA, not NXDOMAIN',
    client: '10.0.1.5',
    qname: 'api.example.com',
    qtype: 'NULL',
    rcode: 'NOERROR',
    decision: 'deny',
    ruleId: 'agents/qtypes',
    answeredBy: 'policy',
    upstreamCalls: 0,
  },
  {
    why: 'CHAOS class: REFUSED before policy',
    client: '10.0.1.5',
    qname: 'version.bind',
    qtype: 'TXT',
    qclass: 'CH',
    rcode: 'REFUSED',
    decision: 'refused-class',
    ruleId: 'listener',
    answeredBy: 'listener',
    upstreamCalls: 0,
  },
  {
    why: 'ANY class of a listed name: REFUSED too',
    client: '10.0.1.5',
    qname: 'api.example.com',
    qclass: 'ANY',
    rcode: 'REFUSED',
    decision: 'refused-class',
    ruleId: 'listener',
    answeredBy: 'listener',
    upstreamCalls: 0,
  },
  {
    why: 'malformed: FORMERR, attributed',
    client: '10.0.1.5',
    qname: '',
    raw: twoQuestions(),
    rcode: 'FORMERR',
    decision: 'malformed',
    ruleId: 'listener',
    answeredBy: 'listener',
    upstreamCalls: 0,
  },
  {
    why: 'DoH resolver name: denied',
    client: '10.0.1.5',
    qname: 'dns.google',
    rcode: 'NXDOMAIN',
    decision: 'deny',
    ruleId: 'agents/doh-resolvers',
    answeredBy: 'policy',
    upstreamCalls: 0,
  },
  {
    why: 'first query of a bucket of one: allowed (cached)',
    client: '10.0.2.5',
    qname: 'api.example.com',
    rcode: 'NOERROR',
    decision: 'allow',
    ruleId: entryRule(0),
    answeredBy: 'cache',
    upstreamCalls: 0,
    answers: 1,
  },
  {
    why: 'bucket empty: rate-limited before the cache',
    client: '10.0.2.5',
    qname: 'api.example.com',
    rcode: 'REFUSED',
    decision: 'rate-limited',
    ruleId: 'limited/rate-limit',
    answeredBy: 'policy',
    upstreamCalls: 0,
  },
  {
    why: 'bucket empty: rate-limited before policy',
    client: '10.0.2.5',
    qname: 'evil.example.org',
    rcode: 'REFUSED',
    decision: 'rate-limited',
    ruleId: 'limited/rate-limit',
    answeredBy: 'policy',
    upstreamCalls: 0,
  },
  {
    why: 'L3: CNAME to an unlisted name under require-allowed: denied after the upstream with NODATA',
    client: '10.0.3.5',
    qname: 'cname-src.example.com',
    rcode: 'NOERROR',
    decision: 'deny',
    ruleId: 'strict/cnames',
    answeredBy: 'upstream',
    upstreamCalls: 1,
  },
  {
    why: 'audit: would-deny, forwarded',
    client: '10.0.4.5',
    qname: 'evil.example.org',
    rcode: 'NOERROR',
    decision: 'would-deny',
    ruleId: 'audit/default-deny',
    answeredBy: 'upstream',
    upstreamCalls: 1,
    answers: 1,
  },
  {
    why: 'tier 1: nothing resolves, listed or not',
    client: '10.0.5.5',
    qname: 'api.example.com',
    rcode: 'NXDOMAIN',
    decision: 'deny',
    ruleId: 'zero/tier1',
    answeredBy: 'policy',
    upstreamCalls: 0,
  },
  {
    why: 'unknown client: the default group (implicit, REFUSED)',
    client: '192.0.2.99',
    qname: 'api.example.com',
    rcode: 'REFUSED',
    decision: 'deny',
    ruleId: 'unknown/tier1',
    answeredBy: 'policy',
    upstreamCalls: 0,
  },
  {
    why: 'private address for a public name: stripped',
    client: '10.0.1.5',
    qname: 'internal.cdn.example.net',
    rcode: 'NOERROR',
    decision: 'allow',
    ruleId: entryRule(1),
    answeredBy: 'upstream',
    upstreamCalls: 1,
    answers: 0,
  },
  {
    why: 'upstream fails: SERVFAIL',
    client: '10.0.1.5',
    qname: 'down.cdn.example.net',
    rcode: 'SERVFAIL',
    decision: 'allow',
    ruleId: entryRule(1),
    answeredBy: 'policy',
    upstreamCalls: 1,
  },
];

const dir = mkdtempSync(join(tmpdir(), 'dnsward-pipeline-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function setup(): { pipeline: QueryPipeline; calls: () => number; next: () => Promise<QueryEvent> } {
  writeFileSync(
    join(dir, 'agents.yaml'),
    stringify({
      entries: ALLOWED.map((domain) => ({
        domain,
        justification: 'needed by the test agents (T-1)',
        owner: 'tests',
        added: '2026-01-01',
      })),
    }),
  );
  writeFileSync(join(dir, 'dnsward.yaml'), stringify(CONFIG));
  const loaded = loadConfig(join(dir, 'dnsward.yaml'));
  let calls = 0;
  const router = {
    resolve: (msg: Buffer, query: { name: string; questionEnd: number }) => {
      calls++;
      const records = UPSTREAM[query.name];
      assert.ok(records, `${query.name} reached the upstream`);
      if (records === 'fail') return Promise.reject(new Error('upstream down'));
      const decoded = dnsPacket.decode(msg);
      const wire = dnsPacket.encode({
        id: decoded.id ?? 0,
        type: 'response',
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
        questions: decoded.questions ?? [],
        answers: records,
      });
      return Promise.resolve({
        answer: readUpstreamAnswer(wire, query.questionEnd),
        upstream: { label: 'fake:53' },
      });
    },
  } as unknown as UpstreamRouter;
  const waiting: ((event: QueryEvent) => void)[] = [];
  const pipeline = new QueryPipeline({
    policy: { current: compilePolicy(loaded) },
    guard: new Guard(1000),
    cache: new AnswerCache(loaded.config.cache),
    router,
    rebinding: new RebindingGuard(true, []),
    responses: new ResponseBuilder(60),
    events: { offer: (event) => waiting.shift()?.(event) },
    maxUdpPayload: 1232,
  });
  return {
    pipeline,
    calls: () => calls,
    next: () => new Promise<QueryEvent>((resolve) => waiting.push(resolve)),
  };
}

describe('QueryPipeline, row by row', () => {
  const { pipeline, calls, next } = setup();
  for (const [i, row] of ROWS.entries()) {
    it(`${i + 1}. ${row.why}`, async () => {
      const msg =
        row.raw ??
        dnsPacket.encode({
          id: 100 + i,
          type: 'query',
          flags: dnsPacket.RECURSION_DESIRED,
          questions: [{ type: row.qtype ?? 'A', name: row.qname, class: row.qclass ?? 'IN' }],
        });
      const before = calls();
      let reply: Buffer | null = null;
      const event = next();
      pipeline.handle(msg, { address: row.client, port: 40_000 + i, transport: 'udp' }, (out) => {
        reply = out;
      });
      const got = await event;
      const answered = reply as Buffer | null;
      assert.deepEqual(
        {
          rcode: got.rcode,
          decision: got.decision,
          ruleId: got.ruleId.replace(`${dir}/`, ''),
          answeredBy: got.answeredBy,
          upstreamCalls: calls() - before,
          qname: got.qname,
        },
        {
          rcode: row.rcode,
          decision: row.decision,
          ruleId: row.ruleId,
          answeredBy: row.answeredBy,
          upstreamCalls: row.upstreamCalls,
          qname: row.qname,
        },
      );
      assert.ok(answered, 'an answer was sent');
      assert.equal(rcodeName(answered.readUInt16BE(2) & 0xf), row.rcode);
      assert.equal(answered.readUInt16BE(0), msg.readUInt16BE(0));
      if (row.answers !== undefined) assert.equal(got.answers, row.answers);
    });
  }
});
