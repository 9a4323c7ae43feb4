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

/** SVCB/HTTPS rdata: priority 1, target ".", then the given (key, value) parameters. */
function svcb(name: string, type: 'HTTPS' | 'SVCB', params: [number, Buffer][]): dnsPacket.Answer {
  const parts: Buffer[] = [Buffer.from([0, 1, 0])];
  for (const [key, value] of params) {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(key, 0);
    head.writeUInt16BE(value.length, 2);
    parts.push(head, value);
  }
  const code = type === 'HTTPS' ? 65 : 64;
  return {
    name,
    type: `UNKNOWN_${code}`,
    ttl: 60,
    data: Buffer.concat(parts),
  } as unknown as dnsPacket.Answer;
}

const v4hint = (...octets: number[][]): [number, Buffer] => [4, Buffer.from(octets.flat())];
const v6hint = (...groups: string[]): [number, Buffer] => [
  6,
  Buffer.concat(groups.map((g) => Buffer.from(g.padEnd(32, '0'), 'hex'))),
];
const alpn: [number, Buffer] = [1, Buffer.from('\x02h2', 'latin1')];

describe('RebindingGuard: finding M4 (hints, embedded IPv4, other sections, reserved ranges)', () => {
  const guard = new RebindingGuard(true, rebindingExemptions(config()));
  const name = 'svc.example.org';

  it('drops HTTPS/SVCB records whose ipv4hint or ipv6hint is internal, keeps public ones', () => {
    const left = afterGuard(guard, name, {
      answers: [
        svcb(name, 'HTTPS', [alpn, v4hint([127, 0, 0, 1])]),
        svcb(name, 'SVCB', [v4hint([192, 0, 2, 1], [169, 254, 169, 254])]),
        svcb(name, 'HTTPS', [v6hint('00000000000000000000000000000001')]),
        svcb(name, 'HTTPS', [alpn, v4hint([192, 0, 2, 1]), v6hint('20010db8')]),
      ],
    });
    assert.deepEqual(left.answers, ['UNKNOWN_65'], 'only the record with public hints is left');
  });

  it('strips internal addresses from the additional and authority sections', () => {
    const left = afterGuard(guard, name, {
      answers: [
        {
          name,
          type: 'SRV',
          ttl: 60,
          data: { priority: 0, weight: 0, port: 443, target: 'meta.example.org' },
        },
      ],
      additionals: [a('meta.example.org', '169.254.169.254'), a('www.example.org', '192.0.2.7')],
      authorities: [{ name: 'example.org', type: 'NS', ttl: 60, data: 'ns.example.org' }],
    });
    assert.equal(left.answers.length, 1, 'the SRV record stays');
    assert.deepEqual(left.additionals, ['192.0.2.7']);
    assert.deepEqual(left.authorities, ['ns.example.org']);
  });

  it('strips NAT64, 6to4, IPv4-compatible and site-local AAAA, and reserved A ranges', () => {
    for (const data of ['64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '::a9fe:a9fe', 'fec0::1', 'ff02::1']) {
      assert.deepEqual(afterGuard(guard, name, { answers: [aaaa(name, data)] }).answers, [], data);
    }
    for (const data of ['224.0.0.1', '255.255.255.255', '198.18.0.1', '240.0.0.1']) {
      assert.deepEqual(afterGuard(guard, name, { answers: [a(name, data)] }).answers, [], data);
    }
    assert.deepEqual(afterGuard(guard, name, { answers: [aaaa(name, '64:ff9b::808:808')] }).answers, [
      '64:ff9b::808:808',
    ]);
  });

  it('leaves in-cluster names alone in every section', () => {
    const svc = 'api.default.svc.cluster.local';
    const left = afterGuard(guard, svc, {
      answers: [svcb(svc, 'SVCB', [v4hint([10, 96, 0, 9])])],
      additionals: [a(svc, '10.96.0.9')],
    });
    assert.deepEqual(left, { answers: ['UNKNOWN_64'], additionals: ['10.96.0.9'], authorities: [] });
  });
});

describe('RebindingGuard: trailing records cut on the wire', () => {
  const guard = new RebindingGuard(true, []);
  const name = 'www.example.org';

  it('drops glue at the end of the message and lowers only the counts of the sections it left', () => {
    const left = afterGuard(guard, name, {
      answers: [a(name, '192.0.2.1'), a(name, '10.0.0.9')],
      authorities: [{ name: 'example.org', type: 'NS', ttl: 60, data: 'ns.example.org' }],
      additionals: [a('ns.example.org', '127.0.0.1')],
    });
    // the internal answer is followed by a kept NS record: the decode path takes it, same result
    assert.deepEqual(left, { answers: ['192.0.2.1'], authorities: ['ns.example.org'], additionals: [] });
    const trailing = afterGuard(guard, name, {
      answers: [a(name, '192.0.2.1'), a(name, '10.0.0.9')],
      additionals: [a('ns.example.org', '127.0.0.1')],
    });
    assert.deepEqual(trailing, { answers: ['192.0.2.1'], authorities: [], additionals: [] });
  });

  it('keeps compressed names that point back into the kept part', () => {
    // header, question www.example.org/A, then three A records whose owner is a pointer to the question name
    const question = dnsPacket.encode({ type: 'query', id: 7, questions: [{ name, type: 'A' }] });
    const record = (ip: number[]): Buffer => Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip]);
    const wire = Buffer.concat([
      question,
      record([192, 0, 2, 5]),
      record([192, 0, 2, 6]),
      record([127, 0, 0, 1]),
    ]);
    wire.writeUInt16BE(0x8180, 2);
    wire.writeUInt16BE(2, 6); // two answers
    wire.writeUInt16BE(1, 10); // one additional
    const answer = readUpstreamAnswer(wire, question.length);
    assert.ok(answer);
    const checked = guard.check(name, answer, question.length);
    assert.ok(checked);
    assert.equal(checked.wire.length, question.length + 2 * 16, 'cut before the internal record');
    const packet = dnsPacket.decode(checked.wire);
    assert.deepEqual(
      (packet.answers ?? []).map((r) => [r.name, 'data' in r ? r.data : null]),
      [
        [name, '192.0.2.5'],
        [name, '192.0.2.6'],
      ],
    );
    assert.equal(packet.additionals?.length ?? 0, 0);
    assert.deepEqual(checked.addresses, ['192.0.2.5', '192.0.2.6']);
  });
});
