// DetectionEngine: determinism, dedupe and escalation, exposure and bytes, mutes, bounded state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectionSection } from '../../../src/config/sections/detection.js';
import { DetectionEngine } from '../../../src/detect/engine.js';
import { ALNUM, BASE32, event, maxSeverity, randomString, rules, run, T0, tunnel } from './scenario.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const zone = 'x.tunnel-example.org';

describe('DetectionEngine', () => {
  it('is deterministic: the same events give byte-identical alerts', () => {
    const events = [
      ...tunnel({ zone, count: 300, intervalMs: 250 }),
      ...tunnel({ zone: 'y.other-example.net', count: 50, intervalMs: 900, seed: 3, qtype: 'NULL' }),
    ];
    assert.equal(JSON.stringify(run(events)), JSON.stringify(run(events)));
  });

  it('one lexical feature alone never raises above low', () => {
    const rand = seededRandom(8);
    const alerts = run([
      event({ qname: `${randomString(rand, BASE32, 63)}.${randomString(rand, BASE32, 63)}.example.org` }),
    ]);
    assert.equal(maxSeverity(alerts), 'low');
    assert.deepEqual(rules(alerts), ['lexical-anomaly']);
  });

  it('dedupes per (agent, base domain, rule) and escalates severity in place', () => {
    const alerts = run(tunnel({ zone, count: 200, intervalMs: 500 }));
    const unique = alerts.filter((a) => a.rule === 'unique-subdomains');
    assert.equal(unique.length, 1);
    const [alert] = unique;
    assert.ok(alert);
    assert.equal(alert.severity, 'high');
    assert.ok(alert.count > 100);
    assert.ok(alert.samples.length <= 5);
    assert.equal(alert.baseDomain, 'tunnel-example.org');
    assert.ok(alert.lastSeenMs > alert.firstSeenMs);
  });

  it('keeps agents apart and opens a new alert after the suppression window', () => {
    const a = tunnel({ zone, count: 60, intervalMs: 500, base: { agentId: 'a' } });
    const b = tunnel({ zone, count: 60, intervalMs: 500, seed: 2, base: { agentId: 'b' } });
    const later = tunnel({
      zone,
      count: 60,
      intervalMs: 500,
      seed: 4,
      start: T0 + 3 * 3600_000,
      base: { agentId: 'a' },
    });
    const alerts = run([...a, ...b, ...later]).filter((x) => x.rule === 'unique-subdomains');
    assert.deepEqual(
      alerts.map((x) => x.agentId),
      ['a', 'b', 'a'],
    );
  });

  it('reports exposure and bytes: forwarded leaks, blocked only attempts', () => {
    const forwarded = run(tunnel({ zone, count: 60, intervalMs: 500 })).find(
      (a) => a.rule === 'encoded-volume',
    );
    const blocked = run(
      tunnel({
        zone,
        count: 60,
        intervalMs: 500,
        base: { decision: 'deny', rcode: 'NXDOMAIN', answeredBy: 'policy' },
      }),
    ).find((a) => a.rule === 'encoded-volume');
    assert.ok(forwarded && blocked);
    assert.equal(forwarded.exposure, 'forwarded');
    assert.ok(forwarded.bytesLeaked > 1000);
    assert.equal(forwarded.bytesLeaked, forwarded.bytesAttempted);
    assert.equal(blocked.exposure, 'blocked');
    assert.equal(blocked.bytesLeaked, 0);
    assert.equal(blocked.bytesAttempted, forwarded.bytesAttempted);
  });

  it('counts the bytes that left before the first alert', () => {
    const alert = run(tunnel({ zone, count: 60, intervalMs: 500 })).find(
      (a) => a.rule === 'unique-subdomains',
    );
    assert.ok(alert);
    const before = alert.features.bytesBeforeAlert;
    assert.equal(typeof before, 'number');
    assert.ok((before as number) > 0 && (before as number) < alert.bytesLeaked);
  });

  it('marks new alerts matching a mute as muted, with its reason', () => {
    const engine = new DetectionEngine(detectionSection.parse({}));
    engine.setMutes([
      { domain: 'tunnel-example.org', agentId: null, reason: 'red-team exercise', untilMs: null },
    ]);
    engine.processBatch(tunnel({ zone, count: 60, intervalMs: 500 }));
    engine.processBatch(
      tunnel({ zone: 'x.unmuted-example.net', count: 60, intervalMs: 500, start: T0 + 60_000 }),
    );
    const alerts = engine.alerts();
    assert.ok(
      alerts
        .filter((a) => a.baseDomain === 'tunnel-example.org')
        .every((a) => a.status === 'muted' && a.statusReason === 'red-team exercise'),
    );
    assert.ok(alerts.filter((a) => a.baseDomain === 'unmuted-example.net').every((a) => a.status === 'open'));
  });

  it('ignores an expired mute', () => {
    const engine = new DetectionEngine(detectionSection.parse({}));
    engine.setMutes([{ domain: null, agentId: 'agent-a', reason: 'maintenance', untilMs: T0 - 1 }]);
    engine.processBatch(tunnel({ zone, count: 40, intervalMs: 500 }));
    assert.ok(engine.alerts().every((a) => a.status === 'open'));
  });

  it('takeChanges returns each changed alert once per call', () => {
    const engine = new DetectionEngine(detectionSection.parse({}));
    const events = tunnel({ zone, count: 100, intervalMs: 500 });
    engine.processBatch(events.slice(0, 50));
    const first = engine.takeChanges();
    assert.ok(first.length > 0);
    assert.equal(new Set(first.map((a) => a.localId)).size, first.length);
    assert.deepEqual(engine.takeChanges(), []);
    engine.processBatch(events.slice(50));
    assert.ok(engine.takeChanges().length > 0);
  });

  it('tolerates late (out-of-order) events', () => {
    const events = tunnel({ zone, count: 150, intervalMs: 500 });
    // every tenth event arrives two events late
    const shuffled = events.map((e, i) =>
      i % 10 === 0 && i + 2 < events.length ? { ...e, ts: e.ts - 1500 } : e,
    );
    const engine = new DetectionEngine(detectionSection.parse({}));
    engine.processBatch(shuffled);
    assert.equal(maxSeverity(engine.alerts()), 'high');
  });

  it('lowSeverityFloor drops low findings', () => {
    const rand = seededRandom(9);
    const alerts = run([event({ qname: `${randomString(rand, ALNUM, 60)}.example.org` })], {
      lowSeverityFloor: 'medium',
    });
    assert.deepEqual(alerts, []);
  });

  it('a disabled rule never fires', () => {
    const alerts = run(tunnel({ zone, count: 60, intervalMs: 500 }), {
      rules: { 'unique-subdomains': { enabled: false } },
    });
    assert.ok(!rules(alerts).includes('unique-subdomains'));
  });

  it('keeps state bounded under a flood of unique names', () => {
    const limits = { maxKeys: 100, maxDomains: 200, maxRecentNames: 1000, maxAgents: 50 };
    const engine = new DetectionEngine(detectionSection.parse({ state: limits }));
    const rand = seededRandom(10);
    for (let i = 0; i < 20_000; i++) {
      engine.process(
        event({
          ts: T0 + i,
          agentId: `agent-${String(i % 70)}`,
          qname: `${randomString(rand, ALNUM, 12)}.d${String(i % 500)}.example.org`,
        }),
      );
    }
    const stats = engine.stats();
    assert.ok(stats.keys <= limits.maxKeys);
    assert.ok(stats.domains <= limits.maxDomains);
    assert.ok(stats.recentNames <= limits.maxRecentNames);
    assert.ok(stats.agents <= limits.maxAgents);
    assert.equal(stats.events, 20_000);
  });

  it('skips malformed events', () => {
    assert.deepEqual(run([event({ decision: 'malformed', qname: '', tier: 1 })]), []);
  });
});
