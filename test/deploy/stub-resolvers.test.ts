// Every shipped config (deploy/kubernetes/base/config, deploy/compose, deploy/docker, the embedded default) with
// real stub resolvers (issue 19): inside network namespaces the test creates, with resolv.conf as the
// platform writes it, dnsward runs the config unchanged but for its database path (for the embedded default,
// the listen address; for Kubernetes, the agent's address in place of its pod selector), unbound serves the names, and glibc, Python, Node, Go (pure and cgo) and musl
// resolve them. Allowed names must come back with the A and AAAA records served, denied names must fail
// after one query per candidate name (no retries, no timeouts), counted from dnsward's own query log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SCENARIOS } from '../helpers/shipped-scenarios.js';
import { buildStubClients } from '../helpers/stub-clients.js';
import { candidates, startScenario, type ScenarioRun } from '../helpers/stub-scenario.js';

describe('shipped configs with real stub resolvers', () => {
  let built: ReturnType<typeof buildStubClients>;

  before(() => {
    assert.equal(process.getuid?.(), 0, 'needs root for ip netns: run as root (CI does)');
    built = buildStubClients();
  });
  after(() => built.remove());

  for (const scenario of SCENARIOS) {
    describe(scenario.id, () => {
      let run: ScenarioRun;
      before(async () => (run = await startScenario(scenario)));
      after(async () => run.stop());

      it('each client: allowed names as served, denied names fail, each candidate name asked once', async (t) => {
        for (const client of built.clients) {
          const expected: (readonly [string, readonly string[] | null])[] = [
            ...Object.entries(scenario.allowed),
            ...(scenario.viaSearch && client.searches
              ? [[scenario.viaSearch.name, scenario.viaSearch.addresses] as const]
              : []),
            ...scenario.denied.map((name) => [name, null] as const),
          ];
          const report: string[] = [];
          for (const [name, addresses] of expected) {
            const { lookup, logged } = await run.lookup(client, name);
            const truncated = scenario.needsTcp?.includes(name) === true;
            if (addresses && truncated && client.tcpFallback === false) {
              // no TCP fallback: dnsward's TC=1 answer holds the whole records that fit, and musl uses them
              const got = lookup.addresses ?? [];
              assert.ok(got.length > 0, `${client.id} ${name} resolves from the truncated answer`);
              for (const address of got) assert.ok(addresses.includes(address), `${client.id} ${address}`);
            } else if (addresses) {
              assert.deepEqual(lookup.addresses, [...addresses].sort(), `${client.id} ${name}`);
            } else assert.equal(lookup.addresses, undefined, `${client.id} ${name} must fail`);
            // only candidate names, and each (name, type, transport) once; a REFUSED answer may be asked
            // again once (glibc's default attempts:2, one nameserver), and glibc asks a pair that needed TCP
            // twice over (UDP then TCP, then both again)
            const allowed = new Set(candidates(name, scenario, client));
            const sent = new Map<string, number>();
            for (const row of logged) {
              assert.ok(allowed.has(row.qname), `${client.id} looking up ${name} asked for ${row.qname}`);
              const key = `${row.qname} ${row.qtype} ${row.transport}`;
              const count = (sent.get(key) ?? 0) + 1;
              sent.set(key, count);
              assert.ok(
                count <=
                  (row.rcode === 'REFUSED' || (truncated && row.transport === 'udp') ? 2 : 1) +
                    (truncated && row.transport === 'tcp' ? 1 : 0),
                `${client.id} sent ${key} ${String(count)} times`,
              );
            }
            const mixedCase = logged.some((row) => row.sent !== row.qname) ? '/0x20' : '';
            report.push(`${name}=${String(logged.length)}q/${String(lookup.ms)}ms${mixedCase}`);
          }
          t.diagnostic(`${scenario.id} | ${client.id} | ${report.join(' ')}`);
        }
      });
    });
  }
});
