// Compile config + allowlist files into an immutable Policy; every validation problem is collected first.
import { createHash } from 'node:crypto';
import { relative } from 'node:path';
import { allowlistPath, type LoadedConfig } from '../config/load.js';
import { implicitGroup, TIER_CAPS, type GroupConfig } from '../config/sections/groups.js';
import { qtypeCode } from '../lib/dns-codes.js';
import { DnswardError } from '../errors.js';
import type { Agent } from '../model/agent.js';
import type { Decision } from '../model/decision.js';
import { loadAllowlistFile, type AllowlistEntry } from './allowlist-file.js';
import { DEFAULT_QTYPES } from './default-qtypes.js';
import { GroupPolicy } from './group-policy.js';
import { IdentityTable, type IdentityRule } from './identity.js';
import { NameTrie } from '../lib/name-trie.js';
import { PodIdentity, type PodSource } from './pod-identity.js';
import { compileSelector, PodSelectorTable, type CompiledSelector } from './pod-selectors.js';

export interface Policy {
  /** Content hash of config + allowlists: changes when the rules change. */
  readonly version: string;
  readonly compiledAt: number;
  readonly groups: ReadonlyMap<string, GroupPolicy>;
  readonly identity: IdentityTable;
  /** Problems that do not stop the policy (expired entries). */
  readonly warnings: readonly string[];
  identify(address: string): Agent;
  /** The agent's group (the default group for a group no longer configured after a reload). */
  groupOf(agent: Agent): GroupPolicy;
  decide(agent: Agent, name: string, qtype: number, now: number): Decision;
}

/** `pods`: the pod watch's map when identity.kubernetes is enabled (it outlives every compiled policy). */
export function compilePolicy(loaded: LoadedConfig, now = Date.now(), pods?: PodSource): Policy {
  const { config } = loaded;
  const errors: string[] = [];
  const warnings: string[] = [];
  const hash = createHash('sha256').update(JSON.stringify(config));
  const groupConfigs = [...config.groups];
  if (!groupConfigs.some((g) => g.name === config.identity.defaultGroup)) {
    groupConfigs.push(implicitGroup(config.identity.defaultGroup, 1, 'REFUSED'));
  }

  const groups = new Map<string, GroupPolicy>();
  const rules: IdentityRule[] = [];
  const selectors: CompiledSelector[] = [];
  for (const group of groupConfigs) {
    if (group.pods) selectors.push(compileSelector(group.name, group.pods));
    const compiled = compileGroup(group, loaded, now, errors, warnings, hash);
    groups.set(group.name, compiled);
    for (const client of group.clients) {
      const rule = typeof client === 'string' ? { cidr: client, agent: undefined } : client;
      rules.push({ cidr: rule.cidr, agent: rule.agent, group: group.name, tier: group.tier });
    }
  }

  let identity: IdentityTable | undefined;
  const fallback = groups.get(config.identity.defaultGroup);
  try {
    identity = new IdentityTable(rules, { group: config.identity.defaultGroup, tier: fallback?.tier ?? 1 });
  } catch (error) {
    errors.push(`${configName(loaded)}:1 groups.clients: ${(error as Error).message}`);
  }
  let podGroups: PodSelectorTable | undefined;
  try {
    podGroups = new PodSelectorTable(selectors);
  } catch (error) {
    errors.push(`${configName(loaded)}:1 groups.pods: ${(error as Error).message}`);
  }
  if (selectors.length > 0 && !config.identity.kubernetes.enabled)
    warnings.push(
      `${configName(loaded)}:1 groups.pods: pod selectors need identity.kubernetes.enabled; they match nothing`,
    );
  if (errors.length > 0 || !identity || !podGroups) {
    throw new DnswardError('DNSWARD_ERR_ALLOWLIST', `policy has ${errors.length} problem(s)`, errors);
  }
  const table = identity;
  const defaultGroup = fallback as GroupPolicy;
  const byPod =
    pods &&
    new PodIdentity(pods, podGroups, table, {
      agentLabel: config.identity.kubernetes.agentLabel,
      tierOf: (name) => (groups.get(name) ?? defaultGroup).tier,
    });
  const groupOf = (agent: Agent): GroupPolicy => groups.get(agent.group) ?? defaultGroup;
  return Object.freeze({
    version: hash.digest('hex').slice(0, 12),
    compiledAt: now,
    groups,
    identity: table,
    warnings,
    identify: byPod
      ? (address: string) => byPod.identify(address)
      : (address: string) => table.identify(address),
    groupOf,
    decide: (agent: Agent, name: string, qtype: number, at: number) => groupOf(agent).decide(name, qtype, at),
  });
}

function compileGroup(
  group: GroupConfig,
  loaded: LoadedConfig,
  now: number,
  errors: string[],
  warnings: string[],
  hash: ReturnType<typeof createHash>,
): GroupPolicy {
  const trie = new NameTrie<AllowlistEntry>();
  const entries: AllowlistEntry[] = [];
  const seen = new Map<string, AllowlistEntry>();
  let lastFile = configName(loaded);
  for (const file of group.allowlists) {
    const path = allowlistPath(loaded, file);
    const display = displayPath(path);
    lastFile = display;
    try {
      const list = loadAllowlistFile(path, display);
      hash.update(JSON.stringify(list.entries));
      if (list.group !== undefined && list.group !== group.name) {
        warnings.push(
          `${display}:1 group: file says group "${list.group}" but is used by group "${group.name}"`,
        );
      }
      for (const entry of list.entries) {
        const duplicate = seen.get(entry.domain);
        if (duplicate) {
          errors.push(
            `${display}:${entry.line} domain: "${entry.domain}" is already listed at ${duplicate.file}:${duplicate.line}`,
          );
          continue;
        }
        seen.set(entry.domain, entry);
        if (entry.expiresAt <= now)
          warnings.push(
            `${display}:${entry.line} expires: "${entry.domain}" expired on ${entry.expires ?? ''}; it no longer matches`,
          );
        trie.insert(entry.name, entry.wildcard, entry);
        entries.push(entry);
      }
    } catch (error) {
      if (error instanceof DnswardError) errors.push(...error.details);
      else throw error;
    }
  }
  const cap = TIER_CAPS[group.tier];
  if (entries.length > cap) {
    errors.push(
      `${lastFile}:1 entries: tier ${group.tier} allows at most ${cap} destinations; group "${group.name}" has ${entries.length}`,
    );
  }
  const qtypes = new Set<number>();
  for (const name of group.qtypes ?? DEFAULT_QTYPES[group.tier]) {
    const code = qtypeCode(name);
    if (code !== undefined) qtypes.add(code); // the schema already rejected unknown names
  }
  return new GroupPolicy(group, { qtypes, trie, entries });
}

function configName(loaded: LoadedConfig): string {
  return loaded.file === null ? '(embedded default)' : displayPath(loaded.file);
}

/** Paths under the working directory are shown relative, as users typed them. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}
