// The embedded default config: what `dnsward serve` runs with no config file and no flags.

/** Loopback only; every client is in group "default" with the repo's tier-3 example allowlist. */
export const DEFAULT_CONFIG_YAML = `# embedded default config
listen:
  udp: ["127.0.0.1:5353"]
  tcp: ["127.0.0.1:5353"]
identity:
  defaultGroup: default
groups:
  - name: default
    tier: 3
    allowlists: [allowlists/tier3-standard.yaml]
    rateLimit: { qps: 50, burst: 100, perDomain: { qps: 20, burst: 40 }, action: refuse }
store:
  path: dnsward.db
`;
