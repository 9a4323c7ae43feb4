// For tests of a shipped config whose subject is not identity: the pod watch needs an API server, so each group
// that claims pods by selector claims the test client's addresses instead (test/e2e/pods-identity.test.ts tests
// the pod watch itself, against a loopback API server).

interface ConfigWithPods {
  identity?: { kubernetes?: { enabled?: boolean } };
  groups?: { pods?: unknown; clients?: unknown[] }[];
}

/** Rewrites `config` in place: the pod watch off, pod-selector groups given `cidrs`. */
export function podGroupsAsCidrs(config: ConfigWithPods, cidrs: readonly string[]): void {
  if (config.identity?.kubernetes) config.identity.kubernetes.enabled = false;
  for (const group of config.groups ?? []) {
    if (group.pods === undefined) continue;
    delete group.pods;
    group.clients = [...(group.clients ?? []), ...cidrs];
  }
}
