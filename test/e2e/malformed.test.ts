// Malformed input over UDP and TCP: FORMERR when the header is readable, dropped and counted otherwise,
// NOTIMP for other opcodes, REFUSED for other classes; the server keeps answering.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { dig } from '../helpers/dig.js';
import { startDnsward, TEST_UDP_ENGINES, type Dnsward } from '../helpers/dnsward.js';
import { udpExchange } from '../helpers/udp-query.js';

function header(id: number, flags: number, qd: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(qd, 4);
  return out;
}

const rcodeOf = (msg: Buffer | null): number => (msg ? msg.readUInt16BE(2) & 0xf : -1);

for (const engine of TEST_UDP_ENGINES) {
  describe(`malformed and unusual queries (UDP engine ${engine})`, () => {
    let server: Dnsward;
    before(async () => {
      server = await startDnsward(
        { identity: { defaultGroup: 'agents' }, groups: [{ name: 'agents', tier: 3 }] },
        {},
        { udpEngine: engine },
      );
    });
    after(() => server.stop());

    const cases: [string, Buffer, number][] = [
      [
        'two questions',
        Buffer.concat([
          header(1, 0x0100, 2),
          Buffer.from('\x01a\x00\x00\x01\x00\x01\x01b\x00\x00\x01\x00\x01', 'latin1'),
        ]),
        1,
      ],
      ['truncated question', Buffer.concat([header(2, 0x0100, 1), Buffer.from('\x05ab', 'latin1')]), 1],
      [
        'label longer than 63',
        Buffer.concat([
          header(3, 0x0100, 1),
          Buffer.from([64]),
          Buffer.alloc(64, 0x61),
          Buffer.from([0, 0, 1, 0, 1]),
        ]),
        1,
      ],
      [
        'compression pointer loop',
        Buffer.concat([header(4, 0x0100, 1), Buffer.from([0xc0, 12, 0, 1, 0, 1])]),
        1,
      ],
      [
        'name longer than 255',
        Buffer.concat([
          header(5, 0x0100, 1),
          ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x62)])),
          Buffer.from([0, 0, 1, 0, 1]),
        ]),
        1,
      ],
      [
        'opcode STATUS',
        Buffer.concat([header(6, 0x1000, 1), Buffer.from('\x01a\x00\x00\x01\x00\x01', 'latin1')]),
        4,
      ],
      [
        'class CHAOS',
        dnsPacket.encode({
          type: 'query',
          id: 7,
          questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }],
        }),
        5,
      ],
    ];
    for (const [name, payload, rcode] of cases) {
      it(`${name} -> rcode ${rcode}, same ID`, async () => {
        const reply = await udpExchange(server.port, payload);
        assert.ok(reply, 'no reply');
        assert.equal(rcodeOf(reply), rcode);
        assert.equal(reply.readUInt16BE(0), payload.readUInt16BE(0));
        assert.ok(reply.readUInt16BE(2) & 0x8000, 'QR set');
      });
    }

    it('drops what has no readable header, and responses sent to it', async () => {
      assert.equal(await udpExchange(server.port, Buffer.from([1, 2, 3])), null);
      assert.equal(await udpExchange(server.port, header(9, 0x8180, 0)), null);
      assert.equal(await udpExchange(server.port, Buffer.alloc(0)), null);
    });

    it('closes a TCP connection that sends a zero-length frame, and keeps serving', async () => {
      const closed = await new Promise<boolean>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.write(Buffer.from([0, 0])));
        socket.on('close', () => resolve(true));
        socket.on('error', () => undefined);
        setTimeout(() => resolve(false), 3000).unref();
      });
      assert.ok(closed);
      assert.equal((await dig(server.port, 'anything.example', { tcp: true })).status, 'NXDOMAIN');
    });

    it('answers several pipelined TCP queries on one connection', async () => {
      const ids = [101, 102, 103];
      const frames = ids.map((id) => {
        const msg = dnsPacket.encode({
          type: 'query',
          id,
          questions: [{ name: `p${id}.example`, type: 'A' }],
        });
        const frame = Buffer.alloc(2 + msg.length);
        frame.writeUInt16BE(msg.length, 0);
        msg.copy(frame, 2);
        return frame;
      });
      const replies = await new Promise<number[]>((resolve, reject) => {
        const got: number[] = [];
        let pending = Buffer.alloc(0);
        const socket = connect(server.port, '127.0.0.1', () => socket.write(Buffer.concat(frames)));
        socket.on('data', (chunk: Buffer) => {
          pending = Buffer.concat([pending, chunk]);
          while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
            got.push(pending.readUInt16BE(2));
            pending = pending.subarray(2 + pending.readUInt16BE(0));
          }
          if (got.length === ids.length) {
            socket.destroy();
            resolve(got);
          }
        });
        socket.on('error', reject);
        setTimeout(() => reject(new Error('timeout')), 5000).unref();
      });
      assert.deepEqual(replies.sort(), ids);
    });

    it('still answers a valid query afterwards', async () => {
      assert.equal((await dig(server.port, 'after.example')).status, 'NXDOMAIN');
    });
  });
}
