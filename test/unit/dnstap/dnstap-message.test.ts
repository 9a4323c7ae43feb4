// dnstap payloads and Frame Streams control frames, decoded back with protobufjs and the official dnstap.proto.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { clientMessages, forwarderMessages } from '../../../src/dnstap/dnstap-message.js';
import { CONTROL, ControlReader, controlFrame, dataFrames } from '../../../src/dnstap/frame-streams.js';

const Dnstap = protobuf
  .loadSync(new URL('../../../src/dnstap/dnstap.proto', import.meta.url).pathname)
  .lookupType('dnstap.Dnstap');
const id = { identity: 'host-1', version: 'dnsward test' };
const query = Buffer.from('abcd01000001000000000000036170690765786d706c65036f72670000010001', 'hex');
const response = Buffer.from('abcd81830001000000000000036170690765786d706c65036f72670000010001', 'hex');

function decode(bytes: Uint8Array): Record<string, unknown> {
  return Dnstap.toObject(Dnstap.decode(bytes), { enums: String, longs: Number, bytes: Buffer });
}

describe('dnstap messages', () => {
  it('a denied client query: CLIENT_QUERY and CLIENT_RESPONSE, agent identity as JSON in extra', () => {
    const [q, r, more] = clientMessages(
      {
        transport: 'udp',
        clientIp: '::ffff:10.1.2.3',
        clientPort: 5300,
        queryTimeMs: 1_700_000_000_123.456,
        responseTimeMs: 1_700_000_000_124,
        query,
        response,
        agentId: 'ns/pod-a',
        group: 'agents',
        decision: 'deny',
        ruleId: 'agents/default',
      },
      id,
    );
    assert.equal(more, undefined);
    const cq = decode(q ?? new Uint8Array());
    const cr = decode(r ?? new Uint8Array());
    assert.equal(String(cq.identity), 'host-1');
    assert.deepEqual(JSON.parse(String(cq.extra)), {
      agent: 'ns/pod-a',
      group: 'agents',
      decision: 'deny',
      rule: 'agents/default',
    });
    const m = cq.message as Record<string, unknown>;
    assert.equal(m.type, 'CLIENT_QUERY');
    assert.equal(m.socketFamily, 'INET');
    assert.deepEqual([...(m.queryAddress as Buffer)], [10, 1, 2, 3]);
    assert.equal(m.queryPort, 5300);
    assert.equal(m.queryTimeSec, 1_700_000_000);
    assert.equal(m.queryTimeNsec, 123_456_000);
    assert.deepEqual(m.queryMessage, query);
    const rm = cr.message as Record<string, unknown>;
    assert.equal(rm.type, 'CLIENT_RESPONSE');
    assert.deepEqual(rm.responseMessage, response);
    assert.deepEqual(rm.policy, {
      type: 'dnsward',
      rule: Buffer.from('agents/default'),
      action: 'NXDOMAIN',
      match: 'QNAME',
    });
  });

  it('an upstream exchange with no answer: FORWARDER_QUERY only, to the upstream address over IPv6', () => {
    const out = forwarderMessages(
      {
        transport: 'tcp',
        upstreamIp: '2001:db8::53',
        upstreamPort: 53,
        queryTimeMs: 1000,
        responseTimeMs: null,
        query,
        response: null,
      },
      id,
    );
    assert.equal(out.length, 1);
    const m = decode(out[0] ?? new Uint8Array()).message as Record<string, unknown>;
    assert.equal(m.type, 'FORWARDER_QUERY');
    assert.equal(m.socketFamily, 'INET6');
    assert.equal(m.socketProtocol, 'TCP');
    assert.equal((m.responseAddress as Buffer).toString('hex'), '20010db8000000000000000000000053');
  });
});

describe('frame streams', () => {
  it('control frames round-trip through the reader, split at any byte', () => {
    const bytes = Buffer.concat([
      controlFrame(CONTROL.ACCEPT, 'protobuf:dnstap.Dnstap'),
      controlFrame(CONTROL.FINISH),
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const reader = new ControlReader();
      const got = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
      assert.deepEqual(got, [
        { type: CONTROL.ACCEPT, contentTypes: ['protobuf:dnstap.Dnstap'] },
        { type: CONTROL.FINISH, contentTypes: [] },
      ]);
    }
  });

  it('data frames are a big-endian length and the payload; the reader refuses them', () => {
    const frames = dataFrames([Buffer.from('ab'), Buffer.from('xyz')]);
    assert.equal(
      frames.toString('hex'),
      `00000002${Buffer.from('ab').toString('hex')}00000003${Buffer.from('xyz').toString('hex')}`,
    );
    assert.throws(() => new ControlReader().push(frames), /data frame/);
  });
});
