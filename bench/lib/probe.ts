// Readiness probe: one UDP query at a time until the server answers, bounded in time.
import dnsPacket from 'dns-packet';
import { udpExchange } from '../../test/helpers/udp-query.js';

function queryOnce(port: number, name: string, waitMs: number): Promise<Buffer | null> {
  const query = dnsPacket.encode({
    type: 'query',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: 'A' }],
  });
  return udpExchange(port, query, waitMs);
}

/** Resolves once `port` answers a query for `name`; `check` may throw to abort (e.g. the process died). */
export async function waitForDns(
  port: number,
  name: string,
  timeoutMs: number,
  check: () => void = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    check();
    if (await queryOnce(port, name, 300)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no DNS answer on 127.0.0.1:${port} within ${timeoutMs} ms`);
}
