// Not an open resolver: with a production-shaped config (every group bound to its CIDRs, unknown clients in the
// implicit default group), a client outside every CIDR gets REFUSED for every name and qtype, over UDP and TCP,
// IPv4 and IPv6, with an answer never larger than its query, and nothing it asks reaches the upstream. Denied
// names for configured agents are answered with at most the query plus one SOA record.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { optRecord } from '../helpers/opt-record.js';
import { startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';

const ZONE = 'or.example';
/** Owner pointer, type, class, TTL, RDLENGTH (12) + dnsward.invalid. hostmaster.dnsward.invalid. + 5 numbers (65). */
const SOA_RECORD_BYTES = 77;
const RCODE = { NOERROR: 0, NXDOMAIN: 3, REFUSED: 5 } as const;

const NAMES = [
  `api.${ZONE}`, // under the allowlisted *.zone of every group below
  `big.${ZONE}`, // a large TXT set: the amplification an open resolver would hand out
  `nothing-here.${ZONE}`,
  ZONE, // the apex: "*.zone" does not cover it
  'example.com',
  'dns.google',
  'c2VjcmV0LWRhdGE.x.attacker.test',
  '.',
];
/** Mnemonic -> code; encoded by hand, so qtypes dns-packet does not know (HTTPS, private use) are asked too. */
const QTYPES: Readonly<Record<string, number>> = {
  A: 1,
  NS: 2,
  SOA: 6,
  NULL: 10,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNSKEY: 48,
  HTTPS: 65,
  AXFR: 252,
  ANY: 255,
  TYPE65399: 65399,
};

interface Edns {
  readonly label: string;
  readonly opt: dnsPacket.OptAnswer | null;
}
const opt = optRecord;
const EDNS: readonly Edns[] = [
  { label: 'no EDNS', opt: null },
  { label: 'EDNS 4096', opt: opt(4096, 0, []) },
  {
    label: 'EDNS 65535 + DO + cookie',
    // a client cookie (option 10), which the typings do not list
    opt: opt(65535, dnsPacket.DNSSEC_OK, [
      { code: 10, data: Buffer.alloc(8, 7) } as unknown as dnsPacket.PacketOpt,
    ]),
  },
];

function query(id: number, name: string, qtype: number, edns: Edns): Buffer {
  const msg = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: 'A', class: 'IN' }],
    additionals: edns.opt ? [edns.opt] : [],
  });
  const nameEnd = name === '.' ? 13 : 12 + name.length + 2;
  msg.writeUInt16BE(qtype, nameEnd);
  return msg;
}

const allowlist = `entries:
  - domain: "*.${ZONE}"
    justification: open-resolver test zone on a loopback unbound
    owner: qa
    added: 2026-01-01
`;

/** Sends every query from `source` on one socket and returns the answers by query ID. */
async function exchangeAll(
  port: number,
  host: string,
  source: string,
  queries: readonly Buffer[],
): Promise<Map<number, Buffer>> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const answers = new Map<number, Buffer>();
  try {
    await new Promise<void>((resolve) => socket.bind(0, source, resolve));
    socket.on('message', (msg) => answers.set(msg.readUInt16BE(0), msg));
    for (let round = 0; round < 3 && answers.size < queries.length; round++) {
      for (const q of queries) if (!answers.has(q.readUInt16BE(0))) socket.send(q, port, host);
      const deadline = Date.now() + 3000;
      while (answers.size < queries.length && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  } finally {
    socket.close();
  }
  return answers;
}

function tcpExchange(port: number, source: string, message: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: source });
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => finish(null), 5000);
    const finish = (reply: Buffer | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    socket.on('connect', () => {
      const frame = Buffer.alloc(2 + message.length);
      frame.writeUInt16BE(message.length, 0);
      message.copy(frame, 2);
      socket.write(frame);
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        finish(pending.subarray(2, 2 + pending.readUInt16BE(0)));
      }
    });
    socket.on('error', () => finish(null));
  });
}

/** The qtypes of QTYPES each group may ask (README: tier 2 default; tier 3 as configured below). */
const allowedQtypes = (source: string): readonly string[] =>
  source === '127.0.0.21' ? ['A', 'AAAA', 'HTTPS'] : ['A', 'AAAA', 'HTTPS', 'TXT'];

/** L3: an NXDOMAIN group answers NODATA for the root and for a qtype denial (the name may exist). */
function expectedRcode(source: string, denyRcode: number, name: string, type: string): number {
  if (denyRcode !== RCODE.NXDOMAIN) return denyRcode;
  const qtypeDenied =
    source !== '127.0.0.10' && name !== 'dns.google' && !allowedQtypes(source).includes(type);
  return name === '.' || qtypeDenied ? RCODE.NOERROR : denyRcode;
}

const rcodeOf = (msg: Buffer): number => msg.readUInt16BE(2) & 0xf;
const counts = (msg: Buffer): number[] => [msg.readUInt16BE(6), msg.readUInt16BE(8)];

describe('not an open resolver (production-shaped config)', () => {
  let unbound: Unbound;
  let server: Dnsward;
  let port6 = 0;
  const queries: { msg: Buffer; name: string; type: string; label: string }[] = [];

  before(async () => {
    unbound = await startUnbound(ZONE, [
      `api.${ZONE}. 300 IN A 192.0.2.10`,
      `api.${ZONE}. 300 IN AAAA 2001:db8::10`,
      ...Array.from(
        { length: 40 },
        (_, i) => `big.${ZONE}. 300 IN TXT "${String(i).padStart(2, '0')}-${'x'.repeat(200)}"`,
      ),
    ]);
    const group = (name: string, tier: number, clients: unknown[], extra: Record<string, unknown> = {}) => ({
      name,
      tier,
      clients,
      allowlists: tier === 1 ? [] : ['fleet.yaml'],
      ...extra,
    });
    server = await startDnsward(
      {
        listen: { udp: ['127.0.0.1:0', '[::1]:0'], tcp: ['127.0.0.1:0', '[::1]:0'] },
        upstreams: { default: [`127.0.0.1:${unbound.port}`], timeoutMs: 1000 },
        identity: { defaultGroup: 'unknown' }, // not defined below: implicit tier 1, REFUSED
        groups: [
          group('zero-egress', 1, ['127.0.0.10/32']),
          group('minimal', 2, ['127.0.0.20/32', { cidr: '127.0.0.21/32', agent: 'ticket-triage-1' }], {
            denyRcode: 'REFUSED',
          }),
          group('default', 3, ['127.0.0.30/31', 'fd00:30::/32'], {
            qtypes: ['A', 'AAAA', 'CNAME', 'HTTPS', 'SVCB', 'TXT'],
          }),
          group('research', 4, ['127.0.0.40/32'], { mode: 'audit' }),
        ],
        log: { level: 'error' },
      },
      { 'fleet.yaml': allowlist },
    );
    port6 = Number(/"udp":\[\d+,(\d+)/.exec(server.output())?.[1] ?? 0);
    let id = 1;
    for (const name of NAMES) {
      for (const [type, code] of Object.entries(QTYPES)) {
        for (const edns of EDNS) {
          queries.push({
            msg: query(id++, name, code, edns),
            name,
            type,
            label: `${name} ${type} ${edns.label}`,
          });
        }
      }
    }
  });

  after(async () => {
    await server.stop();
    await unbound.stop();
  });

  for (const source of ['127.0.0.1', '127.0.0.99', '127.0.0.32', '127.1.2.3', '::1']) {
    it(`refuses everything from ${source} (outside every CIDR), never answering bigger than the query`, async () => {
      const seenBefore = unbound.queriesSeen().length;
      const v6 = source.includes(':');
      assert.ok(!v6 || port6 > 0, 'IPv6 listener port');
      const answers = await exchangeAll(
        v6 ? port6 : server.port,
        v6 ? '::1' : '127.0.0.1',
        source,
        queries.map((q) => q.msg),
      );
      for (const { msg, label } of queries) {
        const reply = answers.get(msg.readUInt16BE(0));
        assert.ok(reply, `no answer to ${label}`);
        assert.equal(rcodeOf(reply), RCODE.REFUSED, label);
        assert.deepEqual(counts(reply), [0, 0], `${label}: no answer or authority records`);
        assert.ok(
          reply.length <= msg.length,
          `${label}: ${reply.length}-byte answer to a ${msg.length}-byte query`,
        );
      }
      assert.equal(unbound.queriesSeen().length, seenBefore, 'nothing reached the upstream');
    });
  }

  it('refuses outsiders over TCP too', async () => {
    const seenBefore = unbound.queriesSeen().length;
    for (const type of [QTYPES.A, QTYPES.ANY, QTYPES.TXT]) {
      const msg = query(7, `big.${ZONE}`, type ?? 1, EDNS[0] ?? { label: '', opt: null });
      const reply = await tcpExchange(server.port, '127.0.0.99', msg);
      assert.ok(reply, `no TCP answer for qtype ${type}`);
      assert.equal(rcodeOf(reply), RCODE.REFUSED);
      assert.ok(reply.length <= msg.length);
    }
    assert.equal(unbound.queriesSeen().length, seenBefore);
  });

  it('serves the same names to a configured agent: the refusals are about the client, not the name', async () => {
    const msg = query(9, `api.${ZONE}`, 1, EDNS[1] ?? { label: '', opt: null });
    const reply = (await exchangeAll(server.port, '127.0.0.1', '127.0.0.31', [msg])).get(9);
    assert.ok(reply);
    assert.equal(rcodeOf(reply), RCODE.NOERROR);
    assert.equal(reply.readUInt16BE(6), 1);
  });

  for (const [source, group, denyRcode] of [
    ['127.0.0.10', 'zero-egress (tier 1)', RCODE.NXDOMAIN],
    ['127.0.0.21', 'minimal (tier 2, REFUSED)', RCODE.REFUSED],
    ['127.0.0.31', 'default (tier 3)', RCODE.NXDOMAIN],
  ] as const) {
    it(`answers denied names for ${group} with at most the query plus an SOA`, async () => {
      const denied = queries.filter(
        ({ name, type }) =>
          !(source !== '127.0.0.10' && name.endsWith(`.${ZONE}`) && allowedQtypes(source).includes(type)),
      );
      const answers = await exchangeAll(
        server.port,
        '127.0.0.1',
        source,
        denied.map((q) => q.msg),
      );
      for (const { msg, label, name, type } of denied) {
        const reply = answers.get(msg.readUInt16BE(0));
        assert.ok(reply, `no answer to ${label}`);
        assert.equal(rcodeOf(reply), expectedRcode(source, denyRcode, name, type), label);
        assert.equal(reply.readUInt16BE(6), 0, `${label}: no answer records`);
        const limit = msg.length + (denyRcode === RCODE.NXDOMAIN ? SOA_RECORD_BYTES : 0);
        assert.ok(
          reply.length <= limit,
          `${label}: ${reply.length}-byte answer to a ${msg.length}-byte query`,
        );
      }
    });
  }
});
