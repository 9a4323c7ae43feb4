// Baseline: the same job written the obvious way on the pure-JS `dns2` package (npm): names under the zone
// are answered from a Map cache or forwarded with dns2's UDP client; everything else gets NXDOMAIN.
// Usage: node --import tsx bench/baselines/dns2-server.ts PORT UPSTREAM_PORT ZONE
import dns2 from 'dns2';

const [port = '0', upstreamPort = '53', zone = 'bench.example'] = process.argv.slice(2);
const { Packet } = dns2;
const resolveUpstream = dns2.UDPClient({ dns: '127.0.0.1', port: Number(upstreamPort), timeout: 2000 });
const suffix = `.${zone.toLowerCase()}`;

interface Entry {
  readonly answers: dns2.Packet.Resource[];
  readonly expiresAt: number;
}
const cache = new Map<string, Entry>();
const MAX_ENTRIES = 100_000;

const server = dns2.createUDPServer((request, send) => {
  const response = Packet.createResponseFromRequest(request);
  const question = request.questions[0];
  if (!question) {
    void send(response);
    return;
  }
  const name = question.name.toLowerCase();
  if (!name.endsWith(suffix) && name !== zone) {
    response.header.rcode = 3; // NXDOMAIN
    void send(response);
    return;
  }
  const key = `${name}|${String(question.type)}`;
  const hit = cache.get(key);
  if (hit && hit.expiresAt > Date.now()) {
    response.answers = hit.answers;
    void send(response);
    return;
  }
  resolveUpstream(question.name).then(
    (answer) => {
      const ttl = Math.min(...answer.answers.map((a) => a.ttl), 86_400);
      if (cache.size >= MAX_ENTRIES) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      if (answer.answers.length > 0)
        cache.set(key, { answers: answer.answers, expiresAt: Date.now() + ttl * 1000 });
      response.answers = answer.answers;
      void send(response);
    },
    () => {
      response.header.rcode = 2; // SERVFAIL
      void send(response);
    },
  );
});
server.on('requestError', () => undefined);
server.on('error', () => undefined);
await server.listen(Number(port), '127.0.0.1');
process.stdout.write(`dns2 baseline listening on ${port}\n`);
process.once('SIGTERM', () => server.close(() => process.exit(0)));
