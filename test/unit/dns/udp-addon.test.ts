// The batched UDP addon on loopback: batches in, one sendmmsg out, sizes checked, oversize datagrams flagged.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import {
  ADDR_BYTES,
  loadUdpAddon,
  RX_TRUNCATED,
  UDP_STAT,
  UDP_STAT_COUNT,
  type UdpBatchOptions,
} from '../../../src/dns/udp-addon.js';

const addon = loadUdpAddon();

function options(
  overrides: Partial<UdpBatchOptions> = {},
  batch = 16,
  slot = 512,
  txCap = 16,
): UdpBatchOptions {
  return {
    family: 4,
    host: '127.0.0.1',
    port: 0,
    recvBufferBytes: 1 << 20,
    sendBufferBytes: 0,
    slot,
    batch,
    txCap,
    queueLimit: 1024,
    rxBuf: new Uint8Array(batch * slot),
    rxLen: new Uint32Array(batch),
    rxAddr: new Uint8Array(batch * ADDR_BYTES),
    rxPort: new Uint16Array(batch),
    rxFlags: new Uint8Array(batch),
    txBuf: new Uint8Array(txCap * slot),
    txOff: new Uint32Array(txCap),
    txLen: new Uint32Array(txCap),
    txAddr: new Uint8Array(txCap * ADDR_BYTES),
    txPort: new Uint16Array(txCap),
    stats: new Float64Array(UDP_STAT_COUNT),
    onBatch: () => undefined,
    ...overrides,
  };
}

/** An echo server on the addon: every batch goes back in one send(), bytes reversed. */
function echo(
  family: 4 | 6,
  host: string,
): { port: number; o: UdpBatchOptions; close: () => void; batches: number[] } {
  const batches: number[] = [];
  const onBatch = (count: number): void => {
    batches.push(count);
    for (let i = 0; i < count; i++) {
      const length = o.rxLen[i] ?? 0;
      const from = o.rxBuf.subarray(i * o.slot, i * o.slot + length);
      o.txBuf.set(from.slice().reverse(), i * o.slot);
      o.txOff[i] = i * o.slot;
      o.txLen[i] = length;
      o.txAddr.set(o.rxAddr.subarray(i * ADDR_BYTES, (i + 1) * ADDR_BYTES), i * ADDR_BYTES);
      o.txPort[i] = o.rxPort[i] ?? 0;
    }
    assert.equal(addon.send(handle, count), count);
  };
  const o = options({ family, host, onBatch });
  const [handle, port] = addon.open(o);
  return { port, o, batches, close: () => addon.close(handle) };
}

async function client(type: 'udp4' | 'udp6'): Promise<Socket> {
  const socket = createSocket(type);
  socket.bind(0);
  await once(socket, 'listening');
  return socket;
}

describe('udp batch addon', () => {
  it('IPv4: 300 datagrams in, each answered once, in batches of up to 16', async () => {
    const server = echo(4, '127.0.0.1');
    const socket = await client('udp4');
    const got = new Map<string, number>();
    let wave: () => void = () => undefined;
    socket.on('message', (msg) => {
      const text = Buffer.from(msg).reverse().toString();
      got.set(text, (got.get(text) ?? 0) + 1);
      if (got.size % 30 === 0) wave();
    });
    // waves of 30, so the client's own receive buffer never overflows on loopback
    for (let start = 0; start < 300; start += 30) {
      const done = new Promise<void>((resolve) => (wave = resolve));
      for (let n = start; n < start + 30; n++) {
        socket.send(`datagram ${n} ${'x'.repeat(n % 200)}`, server.port, '127.0.0.1');
      }
      await done;
    }
    assert.equal(got.size, 300);
    for (const count of got.values()) assert.equal(count, 1);
    assert.equal(server.o.stats[UDP_STAT.received], 300);
    assert.equal(server.o.stats[UDP_STAT.sent], 300);
    assert.equal(server.o.stats[UDP_STAT.queueDropped], 0);
    assert.ok(server.batches.every((n) => n >= 1 && n <= 16));
    server.close();
    socket.close();
  });

  it('IPv6 ::1: answered to the source address and port', async () => {
    const server = echo(6, '::1');
    const socket = await client('udp6');
    const reply = once(socket, 'message');
    socket.send('abc', server.port, '::1');
    const [msg] = (await reply) as [Buffer];
    assert.equal(msg.toString(), 'cba');
    server.close();
    socket.close();
  });

  it('a datagram bigger than its slot is flagged truncated, never overrunning the slot', async () => {
    let seen: { length: number; flags: number; next: number } | undefined;
    let arrived: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (arrived = resolve));
    const o: UdpBatchOptions = options({
      onBatch: () => {
        seen = { length: o.rxLen[0] ?? 0, flags: o.rxFlags[0] ?? 0, next: o.rxBuf[512] ?? 0 };
        arrived();
      },
    });
    const [handle, port] = addon.open(o);
    const socket = await client('udp4');
    socket.send(Buffer.alloc(600, 7), port, '127.0.0.1');
    await done;
    assert.deepEqual(seen, { length: 512, flags: RX_TRUNCATED, next: 0 });
    assert.equal(o.stats[UDP_STAT.truncated], 1);
    addon.close(handle);
    socket.close();
  });

  it('checks every size it is given', () => {
    const tooSmall: Partial<UdpBatchOptions>[] = [
      { rxBuf: new Uint8Array(16 * 512 - 1) },
      { rxLen: new Uint32Array(15) },
      { rxAddr: new Uint8Array(16 * ADDR_BYTES - 1) },
      { txPort: new Uint16Array(15) },
      { stats: new Float64Array(UDP_STAT_COUNT - 1) },
      { batch: 0 },
      { slot: 100 },
      { rxLen: new Uint8Array(64) as unknown as Uint32Array },
    ];
    for (const bad of tooSmall)
      assert.throws(() => addon.open(options(bad)), /DNSWARD_ERR_NATIVE_ARGS|range|rx|tx|stats/);
    assert.throws(() => addon.open(options({ host: 'not-an-ip' })), { code: 'EINVAL' });

    const o = options();
    const [handle] = addon.open(o);
    assert.throws(() => addon.send(handle, 17), /txCap/);
    o.txOff[0] = o.txBuf.length - 10;
    o.txLen[0] = 11;
    o.txPort[0] = 9;
    assert.throws(() => addon.send(handle, 1), /outside the arena/);
    o.txOff[0] = 0;
    o.txLen[0] = 0;
    assert.throws(() => addon.send(handle, 1), /outside the arena/);
    assert.equal(o.stats[UDP_STAT.sent], 0);
    addon.close(handle);
    assert.throws(() => addon.send(handle, 0), /closed/);
    assert.throws(() => addon.close(handle), /closed/);
  });

  it('a port already in use is EADDRINUSE', () => {
    const first = options();
    const [handle, port] = addon.open(first);
    assert.throws(() => addon.open(options({ port })), { code: 'EADDRINUSE' });
    addon.close(handle);
  });
});
