// Issue 21's evasive styles (word chains, spreading, beacons, ...) alert within 10 queries and 512 bytes;
// the hard benign shapes (pod hostnames, search lists, CDN ids, DNSBL, mail/TLS labels) stay at or below low.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectionSection } from '../../../src/config/sections/detection.js';
import { DetectionEngine } from '../../../src/detect/engine.js';
import { severityRank } from '../../../src/model/alert.js';
import { evasiveStyles, hardBenign, type StylePlan } from '../../../tools/exfil-styles.js';
import { event, T0 } from './scenario.js';

interface Outcome {
  firstAlert: { query: number; rule: string; bytes: number } | null;
  maxRank: number;
}

/** Runs a plan as one agent; allowed plans are forwarded, the others denied by policy as the default config does. */
function run(plan: StylePlan, allowed = false, jitter: (i: number) => number = () => 0): Outcome {
  const engine = new DetectionEngine(detectionSection.parse({}));
  let firstAlert: Outcome['firstAlert'] = null;
  let maxRank = -1;
  plan.queries.forEach((q, i) => {
    engine.process(
      event({
        ts: T0 + q.atMs + jitter(i),
        qname: q.qname,
        qtype: q.qtype,
        transport: q.transport,
        agentId: plan.style,
        decision: allowed ? 'allow' : 'deny',
        rcode: allowed ? 'NOERROR' : 'NXDOMAIN',
        answeredBy: allowed ? 'upstream' : 'policy',
      }),
    );
    for (const alert of engine.takeChanges()) {
      const rank = severityRank(alert.severity);
      maxRank = Math.max(maxRank, rank);
      if (rank >= 1 && firstAlert === null) {
        firstAlert = { query: i + 1, rule: alert.rule, bytes: alert.bytesAttempted };
      }
    }
  });
  return { firstAlert, maxRank };
}

describe('evasive exfiltration styles', () => {
  for (const plan of evasiveStyles()) {
    it(`${plan.style}: a medium alert within 10 queries and 512 bytes`, () => {
      const { firstAlert } = run(plan, plan.style === 'wildcard-allowlisted');
      assert.ok(firstAlert !== null, 'no alert at or above medium');
      assert.ok(firstAlert.query <= 10, `first alert after ${String(firstAlert.query)} queries`);
      assert.ok(firstAlert.bytes <= 512, `first alert after ${String(firstAlert.bytes)} bytes`);
    });
  }

  it('names the spreading agent and its domains in one alert', () => {
    const plan = evasiveStyles().find((p) => p.style === 'spread-12-domains');
    assert.ok(plan);
    const engine = new DetectionEngine(detectionSection.parse({}));
    for (const q of plan.queries) {
      engine.process(event({ ts: T0 + q.atMs, qname: q.qname, agentId: 'spreader', decision: 'deny' }));
    }
    const spread = engine.alerts().filter((a) => a.rule === 'domain-spread');
    assert.equal(spread.length, 1);
    const alert = spread[0];
    assert.ok(alert);
    assert.equal(alert.agentId, 'spreader');
    assert.equal(alert.baseDomain, '*');
    const listed = String(alert.features.domainList).split(',');
    assert.ok(
      listed.length >= 4 && listed.every((d) => plan.zones.includes(d)),
      String(alert.features.domainList),
    );
    assert.ok(alert.bytesAttempted > 0);
  });

  it('a spread over domains the agent is allowed to reach is left to the per-domain rules', () => {
    const plan = evasiveStyles().find((p) => p.style === 'spread-12-domains');
    assert.ok(plan);
    const engine = new DetectionEngine(detectionSection.parse({}));
    for (const q of plan.queries) engine.process(event({ ts: T0 + q.atMs, qname: q.qname, agentId: 'a' }));
    assert.equal(engine.alerts().filter((a) => a.rule === 'domain-spread').length, 0);
  });

  it('beacon: the same series with irregular intervals is not periodic', () => {
    const plan = evasiveStyles().find((p) => p.style === 'beacon');
    assert.ok(plan);
    const offsets = [0, 2400, 700, 5100, 300, 4100, 1900, 200, 3600, 900];
    const engine = new DetectionEngine(detectionSection.parse({}));
    plan.queries.forEach((q, i) => {
      engine.process(event({ ts: T0 + i * 3000 + (offsets[i] ?? 0) * 1.5, qname: q.qname, qtype: 'TXT' }));
    });
    assert.equal(engine.alerts().filter((a) => a.rule === 'beacon').length, 0);
  });

  it('beacon: uses the events’ own time, so a replay gives the same alert', () => {
    const plan = evasiveStyles().find((p) => p.style === 'beacon');
    assert.ok(plan);
    const once = (): unknown => {
      const engine = new DetectionEngine(detectionSection.parse({}));
      for (const q of plan.queries) engine.process(event({ ts: T0 + q.atMs, qname: q.qname, qtype: 'TXT' }));
      return engine.alerts().map((a) => [a.rule, a.severity, a.count, a.features]);
    };
    const first = once();
    assert.deepEqual(once(), first);
    assert.ok(JSON.stringify(first).includes('beacon'));
  });
});

describe('hard benign traffic', () => {
  for (const plan of hardBenign()) {
    it(`${plan.style}: nothing above low`, () => {
      assert.ok(run(plan).maxRank <= 0, 'alert above low');
      assert.ok(run(plan, true).maxRank <= 0, 'alert above low when forwarded');
    });
  }
});
