// dgram resolves every destination through `lookup`, even IP literals, and sends a tick later. dnsward only sends
// to literals (client addresses from recvmsg, upstreams validated as IPs), so answering at once sends at once:
// one deferred callback less per datagram (~6 % of cached-answer throughput).
import type { SocketOptions } from 'node:dgram';

export function literalLookup(family: 4 | 6): NonNullable<SocketOptions['lookup']> {
  return (ip, _options, callback) => {
    callback(null, ip, family);
  };
}
