// Ceiling of Node's dgram on this machine: a bare UDP server that sets QR on the query and sends the bytes back.
// No parsing, no policy, no cache, no log: one recvmsg + one JavaScript callback + one sendmsg per datagram.
// Usage: node bench/baselines/node-echo.ts PORT  (plain Node runs it: type stripping, no tsx)
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2] ?? '0');
const socket = createSocket({
  type: 'udp4',
  recvBufferSize: 4 * 1024 * 1024,
  // like dnsward: IP literals answered at once, no lookup deferred to the next tick
  lookup: (ip, _options, callback) => callback(null, ip, 4),
});
socket.on('message', (msg, from) => {
  if (msg.length < 12) return;
  msg[2] = (msg[2] ?? 0) | 0x80;
  socket.send(msg, from.port, from.address);
});
socket.on('error', () => undefined);
socket.bind(port, '127.0.0.1', () => process.stdout.write(`node echo listening on ${port}\n`));
process.once('SIGTERM', () => socket.close(() => process.exit(0)));
