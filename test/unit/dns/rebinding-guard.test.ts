// The rebinding guard: which names keep private addresses (in-cluster and internal zones), and what is stripped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import { RebindingGuard, rebindingExemptions } from '../../../src/dns/rebinding-guard.js';
import { readUpstreamAnswer } from '../../../src/dns/upstream-answer.js';

type Section = 'answers' | 'additionals' | 'authorities';

/** An upstream response for `name`, read the way the pipeline reads it. */
function response(name: string, records: Partial<Record<Section, dnsPacket.Answer[]>>) {
  const question = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name, type: 'A' }] });
  const wire = dnsPacket.encode({
    type: 'response',
    id: 1,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ name, type: 'A' }],
    ...records,
  });
  const answer = readUpstreamAnswer(wire, question.length);
  assert.ok(answer);
  return { answer, questionEnd: question.length };
}

const a = (name: string, data: string): dnsPacket.Answer => ({ name, type: 'A', ttl: 60, data });
const aaaa = (name: string, data: string): dnsPacket.Answer => ({ name, type: 'AAAA', ttl: 60, data });

/** The addresses left in each section after the guard. */
function afterGuard(
  guard: RebindingGuard,
  name: string,
  records: Partial<Record<Section, dnsPacket.Answer[]>>,
): Record<Section, string[]> {
  const { answer, questionEnd } = response(name, records);
  const checked = guard.check(name, answer, questionEnd);
  assert.ok(checked, 'the answer can be rewritten');
  const packet = dnsPacket.decode(checked.wire);
  const data = (list: dnsPacket.Answer[] | undefined): string[] =>
    (list ?? []).flatMap((record) =>
      'data' in record && typeof record.data === 'string' ? [record.data] : [record.type],
    );
  return {
    answers: data(packet.answers),
    additionals: data(packet.additionals),
    authorities: data(packet.authorities),
  };
}

const config = (input: ConfigInput = {}) => configSchema.parse(input);

describe('rebindingExemptions', () => {
  it('names cluster.local, the cluster domain, detection.internalZones, forward zones and allowNames', () => {
    const names = rebindingExemptions(
      config({
        guard: { rebinding: { clusterDomain: 'Prod.Cluster.', allowNames: ['intranet.example.org'] } },
        detection: { internalZones: ['corp'] },
        upstreams: { forward: [{ zone: 'corp.example.net', servers: ['10.0.0.2'] }] },
      }),
    );
    for (const zone of ['cluster.local', 'prod.cluster', 'corp', 'corp.example.net']) {
      assert.ok(names.includes(zone), zone);
      assert.ok(names.includes(`*.${zone}`), `*.${zone}`);
    }
    assert.ok(names.includes('intranet.example.org'));
  });

  it('keeps cluster.local internal even when the config forwards nothing and changes internalZones', () => {
    const names = rebindingExemptions(config({ detection: { internalZones: [] } }));
    assert.deepEqual(names, ['cluster.local', '*.cluster.local']);
  });
});

describe('RebindingGuard', () => {
  const guard = new RebindingGuard(true, rebindingExemptions(config()));

  it('keeps a ClusterIP for an in-cluster Service name with no forward rule (issue 19)', () => {
    const name = 'egress-proxy.egress-proxy.svc.cluster.local';
    assert.deepEqual(afterGuard(guard, name, { answers: [a(name, '10.96.0.50')] }).answers, ['10.96.0.50']);
  });

  it('keeps private addresses under the default internal zones', () => {
    for (const name of ['printer.home.arpa', 'db.corp', 'nas.lan', 'x.internal']) {
      assert.deepEqual(afterGuard(guard, name, { answers: [a(name, '192.168.1.9')] }).answers, [
        '192.168.1.9',
      ]);
    }
  });

  it('strips private addresses from public names and keeps their public ones', () => {
    const name = 'rebind.example.org';
    const left = afterGuard(guard, name, {
      answers: [a(name, '127.0.0.1'), a(name, '10.96.0.50'), a(name, '192.0.2.80')],
    });
    assert.deepEqual(left.answers, ['192.0.2.80']);
    assert.deepEqual(afterGuard(guard, name, { answers: [aaaa(name, 'fd00::1')] }).answers, []);
  });

  it('does not let a public name borrow the exemption of a lookalike (cluster.local.example.org)', () => {
    const name = 'svc.cluster.local.example.org';
    assert.deepEqual(afterGuard(guard, name, { answers: [a(name, '10.96.0.50')] }).answers, []);
  });

  it('counts what it stripped and passes everything when disabled', () => {
    const counting = new RebindingGuard(true, []);
    afterGuard(counting, 'x.example.org', { answers: [a('x.example.org', '10.0.0.1')] });
    assert.equal(counting.stripped, 1);
    const off = new RebindingGuard(false, []);
    assert.deepEqual(
      afterGuard(off, 'x.example.org', { answers: [a('x.example.org', '10.0.0.1')] }).answers,
      ['10.0.0.1'],
    );
  });
});
