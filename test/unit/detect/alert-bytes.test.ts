// An alert's exposure and bytes come from the queries its rule fired on, or its own window (issue 20, L8).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectionSection } from '../../../src/config/sections/detection.js';
import { DetectionEngine } from '../../../src/detect/engine.js';
import type { QueryEvent } from '../../../src/model/query-event.js';
import { event, T0 } from './scenario.js';

/** The report's case: denied non-LDH names and allowed names of the same base, then a rate-limited burst. */
function traffic(): QueryEvent[] {
  const out: QueryEvent[] = [];
  for (let i = 0; i < 6; i++) {
    const denied = {
      decision: 'deny',
      reason: 'not-a-hostname',
      rcode: 'NXDOMAIN',
      answeredBy: 'policy',
    } as const;
    out.push(event({ ts: T0 + i * 1000, qname: `n${i}x\\001y.example.com`, ...denied }));
    out.push(event({ ts: T0 + 500 + i * 1000, qname: `api${i}.example.com` }));
  }
  for (let i = 0; i < 100; i++) {
    const limited = {
      decision: 'rate-limited',
      reason: 'rate-limited',
      rcode: 'REFUSED',
      answeredBy: 'listener',
    } as const;
    out.push(event({ ts: T0 + 10_000 + i * 10, qname: `r${i}.example.com`, ...limited }));
  }
  return out;
}

describe('alert exposure and bytes', () => {
  it('L8: alerts on denied names are blocked with 0 bytes leaked, whatever else their base forwarded', () => {
    const engine = new DetectionEngine(detectionSection.parse({}));
    for (const e of traffic()) engine.process(e);
    const alerts = new Map(engine.alerts().map((a) => [a.rule, a]));
    for (const rule of ['non-ldh-label', 'rate-limited']) {
      const alert = alerts.get(rule);
      assert.ok(alert, `${rule} fired`);
      assert.equal(alert.exposure, 'blocked', rule);
      assert.equal(alert.bytesLeaked, 0, rule);
      assert.ok(alert.bytesAttempted > 0, rule);
    }
    // a window rule still counts its window: the allowed names under example.com did leave
    const volume = alerts.get('unique-subdomains');
    assert.ok(volume);
    assert.equal(volume.exposure, 'forwarded');
    assert.ok(volume.bytesLeaked > 0);
  });
});
