// NXDOMAIN vs REFUSED as real stub resolvers see them: per client, queries sent and time to an answer or a
// failure, with the Kubernetes config (ClusterFirst search list, ndots:5) and the Compose config (no search
// list). Root only (network namespaces). Run: node --import tsx bench/clients/deny-rcode.ts
import { SCENARIOS } from '../../test/helpers/shipped-scenarios.js';
import { buildStubClients } from '../../test/helpers/stub-clients.js';
import { startScenario } from '../../test/helpers/stub-scenario.js';

const PROBES: Readonly<Record<string, readonly string[]>> = {
  'deploy/kubernetes/base/config': ['exfil.example.net', 'api.openai.com', 'egress-proxy.egress-proxy'],
  'deploy/compose': ['exfil.example.net', 'api.example.test'],
};

const built = buildStubClients();
const rows: string[] = [];
try {
  for (const scenario of SCENARIOS.filter((s) => s.id in PROBES)) {
    for (const rcode of ['NXDOMAIN', 'REFUSED'] as const) {
      const run = await startScenario(scenario, rcode);
      try {
        for (const client of built.clients) {
          const cells: string[] = [];
          for (const name of PROBES[scenario.id] ?? []) {
            if (!client.searches && name === scenario.viaSearch?.name) {
              cells.push('n/a');
              continue;
            }
            const { lookup, logged } = await run.lookup(client, name);
            const result = lookup.addresses ? 'ok' : 'fail';
            cells.push(`${result}, ${String(logged.length)} q, ${String(lookup.ms)} ms`);
          }
          rows.push(`| ${scenario.id} | ${rcode} | ${client.id} | ${cells.join(' | ')} |`);
        }
      } finally {
        await run.stop();
      }
    }
  }
} finally {
  built.remove();
}
console.log(rows.join('\n'));
