// A scripted UDP upstream for fault tests (spoofed IDs, wrong questions, silence): unit-level control
// of what a real resolver would never do on purpose.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export type Script = (query: dnsPacket.Packet, raw: Buffer, from: RemoteInfo, socket: Socket) => void;

export interface FakeUpstream {
  readonly port: number;
  readonly received: dnsPacket.Packet[];
  /** A second socket on another port, to send answers from the wrong source. */
  readonly stranger: Socket;
  readonly close: () => Promise<void>;
}

export async function startFakeUpstream(script: Script): Promise<FakeUpstream> {
  const socket = createSocket('udp4');
  const stranger = createSocket('udp4');
  const received: dnsPacket.Packet[] = [];
  socket.on('message', (raw, from) => {
    const query = dnsPacket.decode(raw);
    received.push(query);
    script(query, raw, from, socket);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    received,
    stranger,
    close: async () => {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      await new Promise<void>((resolve) => stranger.close(() => resolve()));
    },
  };
}

/** An answer to `query` with one A record; `id` and `name` can be overridden to spoof. */
export function answer(
  query: dnsPacket.Packet,
  address: string,
  override: { id?: number; name?: string } = {},
): Buffer {
  const question = query.questions?.[0];
  const name = override.name ?? question?.name ?? '';
  return dnsPacket.encode({
    type: 'response',
    id: override.id ?? query.id ?? 0,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ name, type: 'A', class: 'IN' }],
    answers: [{ name, type: 'A', class: 'IN', ttl: 300, data: address }],
  });
}
