// Compile config + allowlist files into an immutable Policy; every validation problem is collected first.
import { createHash } from 'node:crypto';
import type { LoadedConfig } from '../config/load.js';
import { implicitGroup, TIER_CAPS, type GroupConfig } from '../config/sections/groups.js';
import { prefixWarning } from '../lib/cidr.js';
import { qtypeCode } from '../lib/dns-codes.js';
import { DnswardError } from '../errors.js';
import type { Agent } from '../model/agent.js';
import { configName, readGroupAllowlists, type AllowlistEntry } from './allowlist-file.js';
import { isPlaceholder, wildcardRisk } from './allowlist-lint.js';
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
      const warning = prefixWarning(rule.cidr);
      if (warning !== null)
        warnings.push(`${configName(loaded)}:1 groups.clients: group "${group.name}": ${warning}`);
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
  const files = readGroupAllowlists(loaded, group);
  for (const { display, list, error } of files) {
    if (error) {
      errors.push(...error.details);
      continue;
    }
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
      errors.push(...entryErrors(entry, display));
      if (entry.expiresAt <= now)
        warnings.push(
          `${display}:${entry.line} expires: "${entry.domain}" expired on ${entry.expires ?? ''}; it no longer matches`,
        );
      trie.insert(entry.name, entry.wildcard, entry);
      entries.push(entry);
    }
  }
  const lastFile = files.at(-1)?.display ?? configName(loaded);
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

/**
 * What `dnsward allowlist check` calls an error about one entry is an error here too, so `config check`, `serve`
 * and `reload` refuse it: a wildcard on a public suffix or a multi-tenant platform, a placeholder justification
 * or owner.
 */
function entryErrors(entry: AllowlistEntry, display: string): string[] {
  const at = `${display}:${entry.line}`;
  const errors: string[] = [];
  const risk = entry.wildcard ? wildcardRisk(entry.name) : null;
  if (risk) errors.push(`${at} domain: ${risk.message} (${risk.code})`);
  if (isPlaceholder(entry.justification))
    errors.push(`${at} justification: "${entry.justification}" is a placeholder (placeholder-justification)`);
  if (isPlaceholder(entry.owner))
    errors.push(`${at} owner: "${entry.owner}" is a placeholder (placeholder-owner)`);
  return errors;
}
