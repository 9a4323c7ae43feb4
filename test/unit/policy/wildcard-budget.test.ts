// Wildcard budgets: every "*.suffix" entry bounds the new names one agent sends under it, on by default.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { groupSchema, type GroupConfig } from '../../../src/config/sections/groups.js';
import { NameTrie } from '../../../src/lib/name-trie.js';
import type { Agent } from '../../../src/model/agent.js';
import { loadAllowlistFile, type AllowlistEntry } from '../../../src/policy/allowlist-file.js';
import { decideQuery } from '../../../src/policy/decide-query.js';
import { GroupPolicy } from '../../../src/policy/group-policy.js';
import { Guard } from '../../../src/policy/guard.js';

const A = 1;

function policy(group: Partial<GroupConfig>, allowlist: string): GroupPolicy {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-wildcard-budget-'));
  const path = join(dir, 'allow.yaml');
  writeFileSync(path, allowlist);
  const entries = [...loadAllowlistFile(path).entries];
  const trie = new NameTrie<AllowlistEntry>();
  for (const entry of entries) trie.insert(entry.name, entry.wildcard, entry);
  return new GroupPolicy(groupSchema.parse({ name: 'g', tier: 3, ...group }), {
    qtypes: new Set([A]),
    trie,
    entries,
  });
}

const entry = (domain: string, extra = ''): string =>
  `  - { domain: "${domain}", justification: t, owner: qa, added: 2026-01-01${extra} }\n`;

/** Sends `count` new 48-character names under `suffix`; returns how many were allowed. */
function sendChunks(group: GroupPolicy, agent: Agent, suffix: string, count: number, start = 0): number {
  const guard = new Guard(1000);
  let allowed = 0;
  for (let i = 0; i < count; i++) {
    const name = `${String(i).padStart(4, '0')}${'q'.repeat(44)}.${suffix}`;
    if (decideQuery(group, guard, agent, name, A, start + i * 100).kind === 'allow') allowed++;
  }
  return allowed;
}

const agent: Agent = { id: 'agent-1', group: 'g', tier: 3 };

describe('wildcard budget', () => {
  it('is on by default: 512 bytes of new names per agent and wildcard entry per hour, then denied', () => {
    const group = policy({}, `entries:\n${entry('*.files.vendor.example')}`);
    // 48-byte names: 10 fit in 512 bytes, the rest is denied
    assert.equal(sendChunks(group, agent, 'files.vendor.example', 34), 10);
  });

  it('names seen before the budget ran out keep resolving; exact entries have no budget', () => {
    const group = policy({}, `entries:\n${entry('*.vendor.example')}${entry('api.other.example')}`);
    const guard = new Guard(1000);
    for (let i = 0; i < 30; i++)
      decideQuery(group, guard, agent, `${'x'.repeat(60)}${String(i)}.vendor.example`, A, 0);
    assert.equal(decideQuery(group, guard, agent, `${'x'.repeat(60)}0.vendor.example`, A, 1).kind, 'allow');
    assert.equal(decideQuery(group, guard, agent, `new${'x'.repeat(60)}.vendor.example`, A, 1).kind, 'deny');
    assert.equal(decideQuery(group, guard, agent, 'api.other.example', A, 1).kind, 'allow');
  });

  it('an entry raises it or turns it off; the group can turn it off', () => {
    const raised = policy({}, `entries:\n${entry('*.a.example', ', budget: { bytes: 100000 }')}`);
    assert.equal(sendChunks(raised, agent, 'a.example', 34), 34);
    const off = policy({}, `entries:\n${entry('*.a.example', ', budget: false')}`);
    assert.equal(sendChunks(off, agent, 'a.example', 120), 120);
    const groupOff = policy({ wildcardBudget: false }, `entries:\n${entry('*.a.example')}`);
    assert.equal(sendChunks(groupOff, agent, 'a.example', 120), 120);
  });

  it('is per agent: another agent has its own', () => {
    const group = policy({}, `entries:\n${entry('*.a.example')}`);
    const guard = new Guard(1000);
    const other: Agent = { id: 'agent-2', group: 'g', tier: 3 };
    const name = (i: number): string => `${String(i).padStart(4, '0')}${'q'.repeat(44)}.a.example`;
    for (let i = 0; i < 30; i++) decideQuery(group, guard, agent, name(i), A, 0);
    assert.equal(decideQuery(group, guard, agent, name(99), A, 0).kind, 'deny');
    assert.equal(decideQuery(group, guard, other, name(99), A, 0).kind, 'allow');
  });

  it('a budget on an exact entry is an error naming the line and field', () => {
    assert.throws(
      () => policy({}, `entries:\n${entry('api.example', ', budget: { bytes: 10 }')}`),
      (error: Error & { details?: string[] }) =>
        (error.details ?? []).some((d) => d.includes(':2') && d.includes('budget') && d.includes('wildcard')),
    );
  });
});
